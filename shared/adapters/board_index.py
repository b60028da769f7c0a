"""Leaderboard entries written from the player table's stream, not in the engine's commit.

A commit that changed a score marks its state item with `lb` (board_items.changed_boards);
the stream filter (infra/constructs/leaderboards.py) passes only those state records here,
and each named entry is put from the scores in the same image. Derived data, so it may
trail the commit by the stream's lag (about a second; the settle waits
`leaderboards.INDEX_LAG` more than a board's grace before it reads a closed period).

Order: DynamoDB Streams gives one item's records in order, and Lambda reads a shard one
batch at a time, retrying a failed batch from its first failed record. Each put is still
conditional on the state version it comes from (`v`), so a record replayed after a newer
one cannot move an entry back: the newer entry stays, and the put counts as done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.board_items import (
    CHANGED_BOARDS_ATTRIBUTE,
    VERSION_ATTRIBUTE,
    board_item,
    entries_of,
    named_boards,
)
from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import error_code, translate_throttle
from shared.adapters.player_store import player_id_of, player_pk
from shared.adapters.state_codec import STATE_ATTRIBUTE, read_state
from shared.domain.game.leaderboards import BoardEntry, BoardScore, shard_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Projected:
    """What a batch of stream records wrote: entries put, and those a newer one had beaten."""

    written: int = 0
    stale: int = 0


class BoardIndex:
    """Puts the leaderboard entries that state items name (see the module docstring)."""

    def __init__(
        self, table_name: str, client: DynamoDBClient, meter: CapacityMeter | None = None
    ) -> None:
        self._table = table_name
        self._ddb = client
        self._meter = meter or CapacityMeter()

    def project_records(self, records: Iterable[Mapping[str, Any]]) -> Projected:
        """Every entry the records' new images name, in record order."""
        written = stale = 0
        for record in records:
            image = record.get("dynamodb", {}).get("NewImage")
            if image:
                done = self.project_image(image)
                written, stale = written + done.written, stale + done.stale
        return Projected(written, stale)

    def project_image(self, image: Mapping[str, Any]) -> Projected:
        """The entries one state item (its stream image, or the item itself) names."""
        changed = image.get(CHANGED_BOARDS_ATTRIBUTE, {}).get("S")
        if not changed or STATE_ATTRIBUTE not in image:
            return Projected()
        state = read_state(image)
        player_id = player_id_of(image["pk"]["S"])
        entries = entries_of(player_id, state.boards, named_boards(changed))
        return self._put_all(player_id, int(image["version"]["N"]), entries)

    def index_scores(
        self,
        player_id: str,
        version: int,
        boards: Mapping[str, BoardScore],
        shards: Mapping[str, int],
    ) -> Projected:
        """An entry for every score a state holds on a board of the config (`shards`: board id
        -> its shard count): what a rebuild into a fresh table needs, since its commits'
        stream records may reach no index function."""
        targets = [
            (board_id, period, shard_of(player_id, shards[board_id]))
            for board_id, period in (key.split("#", 1) for key in boards)
            if board_id in shards
        ]
        return self._put_all(player_id, version, entries_of(player_id, boards, targets))

    def _put_all(self, player_id: str, version: int, entries: list[BoardEntry]) -> Projected:
        pk = player_pk(player_id)
        done = [self._put(board_item(pk, entry, version)) for entry in entries]
        return Projected(written=sum(done), stale=len(done) - sum(done))

    def _put(self, item: dict[str, Any]) -> bool:
        """Put unless the stored entry comes from this version or a later one."""
        self._meter.record_put("board index", item)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#v) OR #v < :v",
                ExpressionAttributeNames={"#v": VERSION_ATTRIBUTE},
                ExpressionAttributeValues={":v": item[VERSION_ATTRIBUTE]},
            )
            return True
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate_throttle(exc) from exc
