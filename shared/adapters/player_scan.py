"""Every player's state item, read by a paginated Scan: for batch jobs, never per event.

An audience export must find the members of a segment, and segments live in each player's
state (there is no per-segment index: entering and leaving would cost a write per
transition). A Scan reads the whole table once: about table size / 8 KB read units
(eventually consistent), e.g. 1 M players with 3 KB states and their other items
(~5 GB) cost ~650,000 RCU, about $0.16 on demand. `parallel` segments split the work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import translate_throttle
from shared.adapters.player_store import STATE_SK
from shared.adapters.state_codec import LEGACY_STATE_ATTRIBUTE, STATE_ATTRIBUTE, read_state
from shared.domain.core.state import PlayerState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class PlayerScan:
    def __init__(
        self, table_name: str, client: DynamoDBClient, meter: CapacityMeter | None = None
    ) -> None:
        self._table = table_name
        self._ddb = client
        self._meter = meter or CapacityMeter()

    def states(self, segment: int = 0, total_segments: int = 1) -> Iterator[PlayerState]:
        """Each player's state (one Scan segment of `total_segments`), page by page."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :s",
            "ExpressionAttributeValues": {":s": {"S": STATE_SK}},
            # The compressed state, or the plain JSON of an item not rewritten since.
            "ProjectionExpression": "#st, #sz",
            "ExpressionAttributeNames": {"#st": LEGACY_STATE_ATTRIBUTE, "#sz": STATE_ATTRIBUTE},
            "ReturnConsumedCapacity": "TOTAL",
        }
        if total_segments > 1:
            kwargs |= {"Segment": segment, "TotalSegments": total_segments}
        while True:
            try:
                resp = self._ddb.scan(**kwargs)
            except ClientError as exc:
                raise translate_throttle(exc) from exc
            self._meter.record_read("player_scan", resp.get("ConsumedCapacity"))
            for item in resp.get("Items", []):
                yield read_state(item)
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
