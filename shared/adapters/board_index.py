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

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.board_items import (
    CHANGED_BOARDS_ATTRIBUTE,
    VERSION_ATTRIBUTE,
    board_item,
    entries_of,
)
from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import error_code, translate_throttle
from shared.adapters.player_store import player_pk
from shared.adapters.state_codec import STATE_ATTRIBUTE, read_state
from shared.domain.game.leaderboards import BoardScore, shard_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PLAYER_PREFIX = "PLAYER#"


@dataclass(frozen=True)
class Projected:
    """What a batch of stream records wrote: entries put, and those a newer one had beaten."""

    written: int = 0
    stale: int = 0


def _binary(value: Any) -> bytes:
    # A Lambda event carries binary attributes base64-encoded; boto3 gives bytes.
    return base64.b64decode(value) if isinstance(value, str) else bytes(value)


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
        pk = image["pk"]["S"]
        version = int(image["version"]["N"])
        state = read_state({STATE_ATTRIBUTE: {"B": _binary(image[STATE_ATTRIBUTE]["B"])}})
        written = stale = 0
        for entry in entries_of(pk.removeprefix(_PLAYER_PREFIX), state.boards, changed):
            if self._put(board_item(pk, entry, version)):
                written += 1
            else:
                stale += 1
        return Projected(written, stale)

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
        tokens = []
        for key in boards:
            board_id = key.split("#", 1)[0]
            if board_id in shards:
                tokens.append(f"{key}#{shard_of(player_id, shards[board_id])}")
        written = stale = 0
        pk = player_pk(player_id)
        for entry in entries_of(player_id, boards, " ".join(tokens)):
            if self._put(board_item(pk, entry, version)):
                written += 1
            else:
                stale += 1
        return Projected(written, stale)

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
