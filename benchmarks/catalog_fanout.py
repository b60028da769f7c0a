"""What a catalog fan-out reads and publishes, per page, on moto (in-process, mock_aws).

Run: python benchmarks/catalog_fanout.py [--players 2000] [--page 500]
Writes `--players` interest index items for one product (as the engine's commits would),
fans one price drop out page by page (following the continuations), and prints per page:
players published, PutEvents calls, the read units DynamoDB would bill for the page's Query
(moto reports a flat 1 per call, so they are computed from the item sizes as DynamoDB
sizes items: 0.5 RRU per started 4 KB, eventually consistent, plus 1 RRU for the page
marker's consistent read), and process CPU time per page (fan-out code and moto together).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3
from moto import mock_aws

from events.models import CatalogFanoutContinued, ShopPriceDropped
from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import interest_write
from shared.adapters.product_index import ProductIndex
from shared.clock import FixedClock
from shared.domain.commerce.shop import InterestChange
from shared.services.catalog_fanout import CatalogFanout

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _value_bytes(value: dict) -> int:  # type: ignore[type-arg]
    ((kind, inner),) = value.items()
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    return len(str(inner).encode())


def _item_bytes(item: dict) -> int:  # type: ignore[type-arg]
    """DynamoDB's item size: attribute name lengths plus value sizes."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


class CountingBus:
    def __init__(self) -> None:
        self.calls = 0
        self.events: list[tuple[str, dict[str, object]]] = []

    def publish_many(self, events):  # type: ignore[no-untyped-def]
        self.calls += -(-len(events) // 10)
        self.events += list(events)
        return len(events)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--page", type=int, default=500)
    args = parser.parse_args(argv)
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="players",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        sizes = []
        for i in range(args.players):
            change = InterestChange(
                "grinder-c2",
                f"p-{i:07d}",
                "put",
                ("viewed", "wishlisted"),
                NOW - timedelta(days=1),
                NOW + timedelta(days=29),
            )
            item = interest_write("players", change)["Put"]["Item"]
            sizes.append(_item_bytes(item))
            ddb.put_item(TableName="players", Item=item)
        meter = CapacityMeter()
        index = ProductIndex("players", ddb, meter)
        bus = CountingBus()
        fanout = CatalogFanout(index, bus, FixedClock(NOW))
        event: ShopPriceDropped | CatalogFanoutContinued = ShopPriceDropped(
            event_id="drop-1",
            occurred_at=NOW,
            product={"sku": "grinder-c2", "name": "Grinder", "price": "69", "currency": "EUR"},
            previous_price=Decimal("89"),
        )
        item_bytes = sum(sizes) / len(sizes)
        print(f"index item: {item_bytes:.0f} bytes (DynamoDB sizing); page size {args.page}")
        print("page  players  putevents_calls  rru  cpu_ms")
        total_reads, pages = 0.0, 0
        while True:
            calls_before = bus.calls
            started = time.process_time()
            page = fanout.handle(event, page_size=args.page)
            cpu = (time.process_time() - started) * 1000
            pages += 1
            reads = 0.5 * -(-(page.published * item_bytes) // 4096) + 1
            total_reads += reads
            print(
                f"{page.page:>4}  {page.published:>7}  {bus.calls - calls_before:>15}  "
                f"{reads:>4.1f}  {cpu:>6.0f}"
            )
            if not page.continued:
                break
            event = CatalogFanoutContinued.model_validate(bus.events[-1][1])
        published = sum(1 for t, _ in bus.events if t == "engage.shop.price_dropped")
        print(
            f"total: {published} players, {len(bus.events)} events, {bus.calls} PutEvents calls, "
            f"{total_reads:.1f} RRU, {pages} page markers (1 WRU each)"
        )


if __name__ == "__main__":
    main()
