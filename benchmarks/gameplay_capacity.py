"""DynamoDB request units per operator event for the gameplay mix, through the real engine.

The same realistic config and 30-day casino mix as benchmarks/decide_throughput.py (starter
rules, templates and game items plus every playbook), played through `EngineService` and
`PlayerStore` on moto (in process, no sockets) in event-time order, in SQS batches of 10
as the engine's event source delivers them. Units are metered by `CapacityMeter` from the
exact items written (DynamoDB's sizing rule) and the capacity moto reports for reads.
Only the engine's own calls are counted (load + commit); dispatch's are in
benchmarks/demo_capacity.py. Prints figures; asserts nothing.

    python benchmarks/gameplay_capacity.py [--players 40] [--days 30]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decide_throughput import player_events, realistic_config

from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import PlayerStore
from shared.clock import FixedClock
from shared.domain.config import ConfigSnapshot
from shared.services.engine import EngineService, InboundRecord

TABLE = "engage-players"
# On-demand list prices, us-east-1, since the November 2024 cut (USD per million units).
PRICE_PER_MILLION_WRU = 0.625
PRICE_PER_MILLION_RRU = 0.125


class _Config:
    """The published config, as the engine's ConfigCache would hand it out."""

    def __init__(self, snapshot: ConfigSnapshot) -> None:
        self._snapshot = snapshot

    def current(self) -> ConfigSnapshot:
        return self._snapshot


class _Nowhere:
    """Dead letters and compliance alerts: none are expected in this mix; counted if any."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, body: str, reason: str, source_message_id: str) -> None:
        self.count += 1

    def alert(self, subject: str, message: Any) -> str:
        self.count += 1
        return "alert"


def _table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=40)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()

    config = realistic_config()
    rng = random.Random(7)
    events = sorted(
        (e for i in range(args.players) for e in player_events(i, args.days, rng)),
        key=lambda e: (e.occurred_at, e.event_id),
    )
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        _table(ddb)
        meter = CapacityMeter()
        clock = FixedClock(events[0].occurred_at)
        nowhere = _Nowhere()
        engine = EngineService(
            players=PlayerStore(TABLE, ddb, meter),
            config=_Config(config),  # type: ignore[arg-type]
            dead_letters=nowhere,
            alerts=nowhere,
            clock=clock,
            dedupe_for=timedelta(days=400),
        )
        by_type: dict[str, int] = {}
        for start in range(0, len(events), 10):
            batch = events[start : start + 10]
            clock.set(batch[-1].occurred_at + timedelta(seconds=2))
            records = []
            for n, event in enumerate(batch):
                by_type[event.detail_type] = by_type.get(event.detail_type, 0) + 1
                body = {
                    "source": "casino.example",
                    "detail-type": event.detail_type,
                    # As an operator sends it: derived fields (outcome ...) are not sent.
                    "detail": event.model_dump(
                        mode="json", exclude=set(type(event).model_computed_fields)
                    ),
                }
                records.append(InboundRecord(f"m-{start + n}", json.dumps(body)))
            outcome = engine.process(records)
            if outcome.failed_message_ids or outcome.refused:
                raise SystemExit(f"batch at {start} did not apply: {outcome}")
    total = len(events)
    mix = ", ".join(f"{t} {n / total:.0%}" for t, n in sorted(by_type.items(), key=lambda x: -x[1]))
    print(f"Gameplay mix: {args.players} players x {args.days} days = {total:,} events ({mix})")
    print(f"{'operation':18} {'RRU':>10} {'WRU':>10}")
    for op in sorted(set(meter.read_units) | set(meter.write_units)):
        print(f"{op:18} {meter.read_units.get(op, 0):10.1f} {meter.write_units.get(op, 0):10.1f}")
    r, w = meter.total_read / total, meter.total_write / total
    print(f"per operator event: {r:.2f} read units, {w:.2f} write units (target <= 0.5 / 1.5)")
    cost = r * PRICE_PER_MILLION_RRU + w * PRICE_PER_MILLION_WRU
    print(f"= ${cost:.2f} per million events at on-demand list prices (us-east-1)")
    if nowhere.count:
        print(f"({nowhere.count} dead letters or alerts)")


if __name__ == "__main__":
    main()
