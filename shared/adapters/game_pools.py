"""Counted pools (prize stock, wheel budgets, store stock) and spin/purchase records.

Items on the player table:
- `pk` = "POOL#wheel#<wheel_id>", `sk` = "STOCK#<prize_id>"       times the prize was paid
- `pk` = "POOL#wheel#<wheel_id>", `sk` = "BUDGET#<period key>"    budget units paid in a period
- `pk` = "POOL#store#<item_id>",  `sk` = "STOCK"                  units of the item sold
- `pk` = "POOL#rule#<rule_id>",    `sk` = "BUDGET#<period key>"    a rule's campaign budget used
- `pk` = "PLAYER#<id>",           `sk` = "SPIN#<request_id>"      what a spin drew and paid
- `pk` = "PLAYER#<id>",           `sk` = "PURCHASE#<request_id>"  what a purchase bought

A pool counts what was *used*, never what is *left*: no item needs creating before the
first spin, and editing a prize's stock or a budget in the config just moves the limit
the next claim is checked against. A claim is an `ADD used :n` inside the player's commit
transaction, conditioned on `used + n <= limit`; if it fails the whole transaction fails,
so a prize beyond its stock or budget is never paid. Records are put-if-absent in that same
transaction, so one request id is applied once, forever (not only for the marker window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamo_errors import translate_throttle

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PoolKey = tuple[str, str]
SPIN_PREFIX = "SPIN#"
PURCHASE_PREFIX = "PURCHASE#"
BATCH_GET_LIMIT = 100


def wheel_stock_key(wheel_id: str, prize_id: str) -> PoolKey:
    return (f"POOL#wheel#{wheel_id}", f"STOCK#{prize_id}")


def wheel_budget_key(wheel_id: str, period: str) -> PoolKey:
    return (f"POOL#wheel#{wheel_id}", f"BUDGET#{period}")


def store_stock_key(item_id: str) -> PoolKey:
    return (f"POOL#store#{item_id}", "STOCK")


def rule_budget_key(rule_id: str, period: str) -> PoolKey:
    return (f"POOL#rule#{rule_id}", f"BUDGET#{period}")


@dataclass(frozen=True)
class Claim:
    """Take `amount` from a pool, only if what it has paid stays within `limit`."""

    key: PoolKey
    amount: int
    limit: int


@dataclass(frozen=True)
class Record:
    """A spin's or purchase's record in the player's partition, written once."""

    sk: str
    body: str
    expires_at: datetime


def claim_write(table: str, claim: Claim) -> dict[str, Any]:
    """The transaction item for a claim (its condition is what prevents overselling)."""
    pk, sk = claim.key
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD #u :n SET #l = :limit",
            "ConditionExpression": "attribute_not_exists(#u) OR #u <= :most",
            "ExpressionAttributeNames": {"#u": "used", "#l": "limit"},
            "ExpressionAttributeValues": {
                ":n": {"N": str(claim.amount)},
                ":limit": {"N": str(claim.limit)},
                ":most": {"N": str(claim.limit - claim.amount)},
            },
        }
    }


def record_item(pk: str, record: Record) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": record.sk},
        "record": {"S": record.body},
        "expires_at": {"N": str(int(record.expires_at.timestamp()))},
    }


class GamePools:
    """Reads pool usage and records (the writes go with the player's commit)."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._ddb = client

    def usage(self, keys: Sequence[PoolKey]) -> dict[PoolKey, int]:
        """How much each pool has paid (0 for a pool never claimed)."""
        unique = sorted(set(keys))
        found: dict[PoolKey, int] = dict.fromkeys(unique, 0)
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[start : start + BATCH_GET_LIMIT]
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk],
                    "ConsistentRead": True,
                    "ProjectionExpression": "pk, sk, #u",
                    "ExpressionAttributeNames": {"#u": "used"},
                }
            }
            while pending:
                resp = self._call(self._ddb.batch_get_item, RequestItems=pending)
                for item in resp.get("Responses", {}).get(self._table, []):
                    used = item.get("used", {}).get("N", "0")
                    found[(item["pk"]["S"], item["sk"]["S"])] = int(used)
                pending = dict(resp.get("UnprocessedKeys") or {})
        return found

    def record(self, pk: str, sk: str) -> str | None:
        """A stored record's body, read consistently (None if there is none)."""
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return item["record"]["S"] if item else None

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            raise translate_throttle(exc) from exc
