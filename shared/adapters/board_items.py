"""How a leaderboard entry is stored: in the player's partition, indexed by the board's GSI.

- table key: `pk` = PLAYER#<id>, `sk` = BOARD#<board>#<period>  (the player's own partition,
  so a score update is one more item in the player's transaction, never a shared item)
- GSI `gsi1`: `gsi1pk` = LB#<board>#<period>#<shard>, `gsi1sk` = the sortable ranking key.
  Shards spread one hot board's index writes over `shards` partition-key values; the index
  projects keys only, since the ranking key itself carries score, time and player.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.game.leaderboards import BoardEntry

BOARD_PREFIX = "BOARD#"
INDEX_NAME = "gsi1"
INDEX_PK = "gsi1pk"
INDEX_SK = "gsi1sk"


def board_sk(board_id: str, period: str) -> str:
    return f"{BOARD_PREFIX}{board_id}#{period}"


def shard_pk(board_id: str, period: str, shard: int) -> str:
    return f"LB#{board_id}#{period}#{shard}"


def board_item(pk: str, entry: BoardEntry) -> dict[str, Any]:
    """The entry item (upserted unconditionally: the state's version check orders writes)."""
    return {
        "pk": {"S": pk},
        "sk": {"S": board_sk(entry.board_id, entry.period)},
        INDEX_PK: {"S": shard_pk(entry.board_id, entry.period, entry.shard)},
        INDEX_SK: {"S": entry.sort_key},
        "expires_at": {"N": _epoch(entry.keep_until)},
    }


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
