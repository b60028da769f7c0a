"""The product interest index: which players showed interest in a product (DynamoDB).

Items `pk = PRODUCT#<sku>`, `sk = PLAYER#<id>` are written in the player's own transaction
(player_store.interest_write) and expire by TTL with the interest. A catalog fan-out reads one
product's partition a page at a time, in player id order, so a page can be resumed after
its last player. TTL deletes lazily (within about two days), so expired items still
present are skipped here, and the player's state has the last word (run_shop.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import THROTTLE_CODES
from shared.adapters.player_store import player_pk, product_pk
from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PLAYER_PREFIX = "PLAYER#"


@dataclass(frozen=True)
class Interested:
    player_id: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class InterestPage:
    players: list[Interested]
    # The last player id read; None when the product's partition is exhausted.
    after: str | None


class ProductIndex:
    """Reads the players interested in a product, a bounded page at a time."""

    def __init__(
        self, table_name: str, client: DynamoDBClient, meter: CapacityMeter | None = None
    ) -> None:
        self._table = table_name
        self._ddb = client
        self._meter = meter or CapacityMeter()

    def page(self, sku: str, now: datetime, limit: int, after: str | None = None) -> InterestPage:
        """Up to `limit` players after `after` whose interest has not expired at `now`."""
        found: list[Interested] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {
                ":pk": {"S": product_pk(sku)},
                ":p": {"S": _PLAYER_PREFIX},
            },
            "ProjectionExpression": "player_id, kinds, expires_at",
            "ReturnConsumedCapacity": "TOTAL",
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                "pk": {"S": product_pk(sku)},
                "sk": {"S": player_pk(after)},
            }
        epoch = int(now.timestamp())
        last: str | None = after
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            resp = self._call(self._ddb.query, **kwargs)
            self._meter.record_read("product_index.page", resp.get("ConsumedCapacity"))
            for item in resp.get("Items", []):
                last = item["player_id"]["S"]
                if int(item["expires_at"]["N"]) <= epoch:
                    continue
                kinds = tuple(k["S"] for k in item.get("kinds", {}).get("L", []))
                found.append(Interested(last, kinds))
            if "LastEvaluatedKey" not in resp:
                return InterestPage(found, None)
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return InterestPage(found, last)

    def page_done(self, sku: str, catalog_event_id: str, page: int) -> bool:
        """Whether this page of this catalog event's fan-out was already fully published."""
        key = _fanout_key(sku, catalog_event_id, page)
        # A Query on the exact key rather than GetItem: the engine's role has Query already.
        resp = self._call(
            self._ddb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk = :sk",
            ExpressionAttributeValues={":pk": key["pk"], ":sk": key["sk"]},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        self._meter.record_read("product_index.page_done", resp.get("ConsumedCapacity"))
        return bool(resp.get("Items"))

    def mark_page_done(self, sku: str, catalog_event_id: str, page: int, expires: datetime) -> None:
        """Remember a published page, so a redelivered catalog event or continuation skips it."""
        resp = self._call(
            self._ddb.put_item,
            TableName=self._table,
            Item={
                **_fanout_key(sku, catalog_event_id, page),
                "expires_at": {"N": str(int(expires.timestamp()))},
            },
            ReturnConsumedCapacity="TOTAL",
        )
        self._meter.record_write("product_index.mark_page_done", resp.get("ConsumedCapacity"))

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in THROTTLE_CODES:
                raise ThrottledError(code) from exc
            raise


def _fanout_key(sku: str, catalog_event_id: str, page: int) -> dict[str, Any]:
    return {
        "pk": {"S": product_pk(sku)},
        "sk": {"S": f"FANOUT#{catalog_event_id}#{page}"},
    }
