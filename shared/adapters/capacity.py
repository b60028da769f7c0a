"""Tally of DynamoDB capacity units, for the cost figures the benchmarks print.

Reads use what DynamoDB returns in ConsumedCapacity, except the engine's load
(BatchGetItem), which is costed from item sizes because moto reports 1 unit per key whatever
the consistency. Transactions are costed from item sizes with DynamoDB's published rules (a
transactional write costs 2 WCU per 1 KB of each item), because moto, which the local runs
use, does not report capacity for transactions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from typing import Any


def attribute_size(name: str, value: dict[str, Any]) -> int:
    """Approximate stored size in bytes of one attribute (name + value), per DynamoDB docs."""
    ((kind, raw),) = value.items()
    size = len(name.encode())
    if kind == "S":
        return size + len(str(raw).encode())
    if kind == "N":
        digits = len(str(Decimal(raw)).replace("-", "").replace(".", "").lstrip("0")) or 1
        return size + math.ceil(digits / 2) + 1
    if kind == "B":
        return size + len(raw)
    if kind == "BOOL" or kind == "NULL":
        return size + 1
    if kind == "M":
        return size + 3 + sum(attribute_size(k, v) + 1 for k, v in raw.items())
    if kind == "L":
        return size + 3 + sum(attribute_size("", v) + 1 for v in raw)
    return size + len(str(raw).encode())


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(attribute_size(k, v) for k, v in item.items())


class CapacityMeter:
    """Accumulates read and write capacity units per operation name."""

    def __init__(self) -> None:
        self.read_units: dict[str, float] = defaultdict(float)
        self.write_units: dict[str, float] = defaultdict(float)

    def record_read(self, op: str, consumed: Any) -> None:
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.read_units[op] += float(entry.get("CapacityUnits", 0))

    def record_write(self, op: str, consumed: Any) -> None:
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            # DynamoDB bills at least 1 WCU per write; moto reports 0.5 for small updates.
            self.write_units[op] += max(1.0, float(entry.get("CapacityUnits", 0)))

    def record_transaction(self, op: str, writes: list[dict[str, Any]]) -> None:
        for write in writes:
            # An Update or Delete is costed at the 1 KB minimum: the items this code updates
            # or deletes in a transaction (budget pools, REV# items) are that small.
            action = next(iter(write.values()))
            item = write.get("Put", {}).get("Item", {})
            units = 2 * max(1, math.ceil(item_size(item) / 1024))
            self._charge(op, action.get("Item") or action.get("Key", {}), units, True)

    def record_put(self, op: str, item: dict[str, Any]) -> None:
        """A single PutItem from its item's size: 1 WCU per started KB (moto reports none)."""
        self._charge(op, item, max(1, math.ceil(item_size(item) / 1024)), False)

    def _charge(self, op: str, item: dict[str, Any], units: float, in_transaction: bool) -> None:
        """One item's write of `units` (`item`: its attributes, or its key for an Update or
        Delete); a subclass may also split the units by item (benchmarks)."""
        self.write_units[op] += units

    def record_query(self, op: str, items: list[dict[str, Any]], *, consistent: bool) -> None:
        """A Query from the items it returned: 1 unit (0.5 eventually consistent) per started
        4 KB of their total size, at least one."""
        unit = 1.0 if consistent else 0.5
        self.read_units[op] += unit * max(1, math.ceil(sum(map(item_size, items)) / 4096))

    def record_batch_get(
        self, op: str, requested: int, items: list[dict[str, Any]], *, consistent: bool
    ) -> None:
        """A BatchGetItem from item sizes: each key costs 1 unit (0.5 eventually consistent)
        per started 4 KB, and a key with no item the minimum. moto reports 1 per key either
        way, so the engine's load is metered here instead."""
        unit = 1.0 if consistent else 0.5
        found = sum(max(1, math.ceil(item_size(item) / 4096)) for item in items)
        self.read_units[op] += unit * (found + max(0, requested - len(items)))

    @property
    def total_read(self) -> float:
        return sum(self.read_units.values())

    @property
    def total_write(self) -> float:
        return sum(self.write_units.values())
