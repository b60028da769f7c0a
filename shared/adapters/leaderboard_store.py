"""Leaderboard reads on the player table's `gsi1`: top-N across shards, my rank, settlement.

Writes happen in the engine's player transaction (player_store + board_items). Here:
- top N: one descending Query of N keys per shard (in parallel), merged by the ranking key;
- my rank: players above me = keys greater than mine, counted per shard (Select=COUNT reads
  keys but returns none). Exact while that is cheap; deep ranks are estimated from the
  player's own shard (see `rank`), since an exact count costs reads in proportion to rank;
- the "settled" marker of a closed period, so a rerun of the settle does not publish again.
"""

from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.board_items import INDEX_NAME, INDEX_PK, INDEX_SK, board_sk, shard_pk
from shared.adapters.dynamo_errors import error_code, translate_throttle
from shared.adapters.player_store import player_pk
from shared.domain.game.leaderboards import Ranked, parse_sort_key, shard_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SETTLED_PK_PREFIX = "BOARDS#"
SETTLED_SK_PREFIX = "SETTLED#"
MAX_PARALLEL = 16


@dataclass(frozen=True)
class Placed:
    rank: int
    entry: Ranked


@dataclass(frozen=True)
class MyRank:
    entry: Ranked
    rank: int
    # True when the rank was estimated from the player's own shard (deep ranks only).
    approximate: bool


class LeaderboardStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._ddb = client

    # --- ranking ------------------------------------------------------------------------

    def top(self, board_id: str, period: str, shards: int, n: int) -> list[Placed]:
        """The best `n` entries with their ranks (1 = best); eventually consistent (GSI)."""
        per_shard = self._each_shard(shards, lambda s: self._best(board_id, period, s, n))
        merged = heapq.merge(*per_shard, reverse=True)
        return [Placed(i + 1, parse_sort_key(key)) for i, key in enumerate(merged) if i < n]

    def _best(self, board_id: str, period: str, shard: int, n: int) -> list[str]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": INDEX_PK},
            "ExpressionAttributeValues": {":p": {"S": shard_pk(board_id, period, shard)}},
            "ScanIndexForward": False,
            "ProjectionExpression": INDEX_SK,
        }
        while len(keys) < n:
            kwargs["Limit"] = n - len(keys)
            resp = self._call(self._ddb.query, **kwargs)
            keys += [i[INDEX_SK]["S"] for i in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return keys

    def entry(self, player_id: str, board_id: str, period: str) -> Ranked | None:
        key = self._entry_key(player_id, board_id, period)
        return parse_sort_key(key) if key else None

    def rank(
        self, player_id: str, board_id: str, period: str, shards: int, exact_within: int = 1000
    ) -> MyRank | None:
        """The player's rank, exact when it is within about `exact_within`, else estimated.

        The player's own shard is counted first (its keys above mine, about rank/shards of
        them); shards hold a uniform hash of players, so `shards` x that count estimates
        the rank. If the estimate is within twice `exact_within`, every shard is counted
        exactly. Reads are bounded by about 2 x `exact_within` keys, or rank/shards keys.
        """
        mine = self._entry_key(player_id, board_id, period)
        if mine is None:
            return None
        own = shard_of(player_id, shards)
        own_count = self._count_above(board_id, period, own, mine)
        if own_count * shards <= 2 * exact_within:
            others = self._each_shard(
                shards,
                lambda s: 0 if s == own else self._count_above(board_id, period, s, mine),
            )
            return MyRank(parse_sort_key(mine), 1 + own_count + sum(others), approximate=False)
        return MyRank(parse_sort_key(mine), 1 + own_count * shards, approximate=True)

    def _entry_key(self, player_id: str, board_id: str, period: str) -> str | None:
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key={"pk": {"S": player_pk(player_id)}, "sk": {"S": board_sk(board_id, period)}},
            ProjectionExpression=INDEX_SK,
        )
        item = resp.get("Item")
        return str(item[INDEX_SK]["S"]) if item else None

    def _count_above(self, board_id: str, period: str, shard: int, key: str) -> int:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#p = :p AND #s > :k",
            "ExpressionAttributeNames": {"#p": INDEX_PK, "#s": INDEX_SK},
            "ExpressionAttributeValues": {
                ":p": {"S": shard_pk(board_id, period, shard)},
                ":k": {"S": key},
            },
            "Select": "COUNT",
        }
        total = 0
        while True:
            resp = self._call(self._ddb.query, **kwargs)
            total += int(resp.get("Count", 0))
            if "LastEvaluatedKey" not in resp:
                return total
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def _each_shard(self, shards: int, work: Any) -> list[Any]:
        if shards == 1:
            return [work(0)]
        with ThreadPoolExecutor(max_workers=min(shards, MAX_PARALLEL)) as pool:
            return list(pool.map(work, range(shards)))

    # --- settlement ---------------------------------------------------------------------

    def settled(self, board_id: str, period: str) -> bool:
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key=self._settled_key(board_id, period),
            ConsistentRead=True,
        )
        return "Item" in resp

    def mark_settled(self, board_id: str, period: str, at: datetime, result: str) -> None:
        """Record that the period's prizes were published (rewriting it is harmless)."""
        self._call(
            self._ddb.put_item,
            TableName=self._table,
            Item={
                **self._settled_key(board_id, period),
                "settled_at": {"S": at.isoformat()},
                "result": {"S": result[:1000]},
            },
        )

    @staticmethod
    def _settled_key(board_id: str, period: str) -> dict[str, Any]:
        return {
            "pk": {"S": f"{SETTLED_PK_PREFIX}{board_id}"},
            "sk": {"S": f"{SETTLED_SK_PREFIX}{period}"},
        }

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise
            raise translate_throttle(exc) from exc
