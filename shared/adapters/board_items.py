"""How a leaderboard entry is stored: in the player's partition, indexed by the board's GSI.

- table key: `pk` = PLAYER#<id>, `sk` = BOARD#<board>#<period>  (the player's own partition,
  never a shared item)
- GSI `gsi1`: `gsi1pk` = LB#<board>#<period>#<shard>, `gsi1sk` = the sortable ranking key.
  Shards spread one hot board's index writes over `shards` partition-key values; the index
  projects keys only, since the ranking key itself carries score, time and player.
- `v`: the version of the player's state item the entry was projected from.

The entry is derived data: the score is in the player's state (`boards`). A commit that
changed a score does not write the entry in its transaction (that made a quarter of the
gameplay commits transactions, doubling the state item's write units); it names the entries
it changed in the state item's `lb` attribute, and the board index function writes them from
the table's stream (board_index.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from shared.domain.game.leaderboards import KEEP_AFTER_CLOSE, BoardEntry, BoardScore, state_key

BOARD_PREFIX = "BOARD#"
# On the state item: the entries its commit changed (changed_boards); on an entry item: the
# state version it was projected from.
CHANGED_BOARDS_ATTRIBUTE = "lb"
VERSION_ATTRIBUTE = "v"
# The Lambda event-source filter on the player table's stream -> the board index function
# (and the local runtime's drain): state items whose commit changed an entry.
BOARD_STREAM_FILTER: dict[str, Any] = {
    "eventName": ["INSERT", "MODIFY"],
    "dynamodb": {
        "Keys": {"sk": {"S": ["STATE"]}},
        "NewImage": {CHANGED_BOARDS_ATTRIBUTE: {"S": [{"exists": True}]}},
    },
}
INDEX_NAME = "gsi1"
INDEX_PK = "gsi1pk"
INDEX_SK = "gsi1sk"


def board_sk(board_id: str, period: str) -> str:
    return f"{BOARD_PREFIX}{board_id}#{period}"


def shard_pk(board_id: str, period: str, shard: int) -> str:
    return f"LB#{board_id}#{period}#{shard}"


def board_item(pk: str, entry: BoardEntry, version: int) -> dict[str, Any]:
    """The entry item, as projected from state version `version`."""
    return {
        "pk": {"S": pk},
        "sk": {"S": board_sk(entry.board_id, entry.period)},
        INDEX_PK: {"S": shard_pk(entry.board_id, entry.period, entry.shard)},
        INDEX_SK: {"S": entry.sort_key},
        "expires_at": {"N": _epoch(entry.keep_until)},
        VERSION_ATTRIBUTE: {"N": str(version)},
    }


# An entry a state item names: (board id, period, shard).
Target = tuple[str, str, int]


def changed_boards(entries: Iterable[BoardEntry]) -> str:
    """The state item's `lb` value: `<board>#<period>#<shard>` of each entry a commit
    changed, space-separated (a board id is a slug and a period a date, week or month key:
    neither holds a space, and a board id holds no `#`)."""
    tokens = (f"{e.board_id}#{e.period}#{e.shard}" for e in entries)
    return " ".join(dict.fromkeys(tokens))  # once each: the image holds the latest score


def named_boards(changed: str) -> list[Target]:
    """The entries an `lb` value names (changed_boards read back)."""
    targets = []
    for token in changed.split():
        key, shard = token.rsplit("#", 1)
        board_id, period = key.split("#", 1)
        targets.append((board_id, period, int(shard)))
    return targets


def entries_of(
    player_id: str, boards: Mapping[str, BoardScore], targets: Iterable[Target]
) -> list[BoardEntry]:
    """The entries of `targets` from the scores a state holds (one it no longer holds,
    pruned by a later commit of the same item, has nothing to index)."""
    entries = []
    for board_id, period, shard in targets:
        held = boards.get(state_key(board_id, period))
        if held is None:
            continue
        entries.append(
            BoardEntry(
                board_id=board_id,
                period=period,
                player_id=player_id,
                score=held.score,
                reached_at=held.reached_at,
                shard=shard,
                keep_until=held.ends_at + KEEP_AFTER_CLOSE,
            )
        )
    return entries


def _epoch(when: datetime) -> str:
    return str(int(when.timestamp()))


def add_board_index(create_table_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The player table's CreateTable arguments with the leaderboard index (local, tests)."""
    kwargs = dict(create_table_kwargs)
    kwargs["AttributeDefinitions"] = [
        *kwargs["AttributeDefinitions"],
        {"AttributeName": INDEX_PK, "AttributeType": "S"},
        {"AttributeName": INDEX_SK, "AttributeType": "S"},
    ]
    kwargs["GlobalSecondaryIndexes"] = [
        {
            "IndexName": INDEX_NAME,
            "KeySchema": [
                {"AttributeName": INDEX_PK, "KeyType": "HASH"},
                {"AttributeName": INDEX_SK, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
    return kwargs
