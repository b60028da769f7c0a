"""DynamoDB request units per operator event for the gameplay mix, through the real engine.

The same realistic config and 30-day casino mix as benchmarks/decide_throughput.py (starter
rules, templates and game items plus every playbook), played through `EngineService` and
`PlayerStore` on moto (in process, no sockets) in event-time order. A player's events come
seconds to minutes apart, so a batch of 10 queue messages rarely holds two of one player's:
here each event is its own commit. Players are played one after the other and their items
deleted after (moto snapshots the whole table per transaction, so a growing table would
make the run quadratic; DynamoDB's cost does not depend on other players' items). Units are metered by `CapacityMeter` from the
exact items written (DynamoDB's sizing rule) and the capacity moto reports for reads.
Counted: the engine's own calls (load + commit) and the board index's puts of the
leaderboard entries the commits named (as the table's stream would hand it the state item);
dispatch's are in benchmarks/demo_capacity.py. Prints figures; asserts nothing.

    python benchmarks/gameplay_capacity.py [--players 40] [--days 30] [--uuid-ids]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import boto3
from decide_throughput import player_events, realistic_config
from moto import mock_aws

from shared.adapters.board_index import BoardIndex
from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import PlayerStore
from shared.clock import FixedClock
from shared.domain.core.config import ConfigSnapshot
from shared.services.engine import EngineService
from shared.services.engine_batch import InboundRecord

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


class _KindMeter(CapacityMeter):
    """The meter, also split by item kind (the sort key up to its first variable part), so
    the note can say which items the write units go to, and whether inside a transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.by_kind: dict[str, float] = defaultdict(float)
        self.writes: dict[str, int] = defaultdict(int)

    @staticmethod
    def _kind(item: dict[str, Any], in_transaction: bool) -> str:
        sk = item.get("sk", {}).get("S", "?")
        kind = "LEDGER#P#" if sk.startswith("LEDGER#P#") else re.sub(r"#.*", "#", sk)
        return f"{kind} ({'transaction' if in_transaction else 'put'})"

    def _charge(self, op: str, item: dict[str, Any], units: float, in_transaction: bool) -> None:
        super()._charge(op, item, units, in_transaction)
        self.by_kind[self._kind(item, in_transaction)] += units
        self.writes[self._kind(item, in_transaction)] += 1


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


def _forget(ddb: Any, player_id: str) -> None:
    """Delete a finished player's items (not metered: the benchmark's housekeeping)."""
    pages = ddb.get_paginator("query").paginate(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PLAYER#{player_id}"}},
        ProjectionExpression="pk, sk",
    )
    for page in pages:
        for item in page["Items"]:
            ddb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--uuid-ids",
        action="store_true",
        help="event ids as operators often send them (random UUIDs, 36 characters) instead "
        "of the mix's short ones: every id the state item keeps then costs more bytes",
    )
    args = parser.parse_args()
    ids = random.Random(11)

    config = realistic_config()
    rng = random.Random(7)
    population = [player_events(i, args.days, rng) for i in range(args.players)]
    by_type: dict[str, int] = {}
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        _table(ddb)
        meter = _KindMeter()
        nowhere = _Nowhere()
        index = BoardIndex(TABLE, ddb, meter)
        for events in population:
            # Each player's month on its own clock (a clock only moves forward).
            clock = FixedClock(events[0].occurred_at)
            engine = EngineService(
                players=PlayerStore(TABLE, ddb, meter, eventual_reads=True),
                config=_Config(config),  # type: ignore[arg-type]
                dead_letters=nowhere,
                alerts=nowhere,
                clock=clock,
                dedupe_for=timedelta(days=400),
            )
            for n, event in enumerate(events):
                by_type[event.detail_type] = by_type.get(event.detail_type, 0) + 1
                clock.set(event.occurred_at + timedelta(seconds=2))
                # As an operator sends it: derived fields (outcome ...) are not sent.
                detail = event.model_dump(
                    mode="json", exclude=set(type(event).model_computed_fields)
                )
                if args.uuid_ids:
                    detail["event_id"] = str(uuid.UUID(int=ids.getrandbits(128)))
                body = {
                    "source": "casino.example",
                    "detail-type": event.detail_type,
                    "detail": detail,
                }
                outcome = engine.process([InboundRecord(f"m-{n}", json.dumps(body))])
                if outcome.failed_message_ids or outcome.refused:
                    raise SystemExit(f"{event.event_id} did not apply: {outcome}")
                # The leaderboard entries the commit named, put by the board index as the
                # stream hands it the state item (reading it here is housekeeping, unmetered).
                key = {"pk": {"S": f"PLAYER#{event.player_id}"}, "sk": {"S": "STATE"}}
                index.project_image(ddb.get_item(TableName=TABLE, Key=key)["Item"])
            _forget(ddb, events[0].player_id)
    events = [e for p in population for e in p]
    total = len(events)
    mix = ", ".join(f"{t} {n / total:.0%}" for t, n in sorted(by_type.items(), key=lambda x: -x[1]))
    print(f"Gameplay mix: {args.players} players x {args.days} days = {total:,} events ({mix})")
    print(f"{'operation':18} {'RRU':>10} {'WRU':>10}")
    for op in sorted(set(meter.read_units) | set(meter.write_units)):
        print(f"{op:18} {meter.read_units.get(op, 0):10.1f} {meter.write_units.get(op, 0):10.1f}")
    print(f"{'write units per event by item kind':34} {'WU/event':>9} {'writes':>7} {'WU each':>8}")
    for kind, units in sorted(meter.by_kind.items(), key=lambda x: -x[1]):
        n = meter.writes[kind]
        print(f"  {kind:32} {units / total:9.2f} {n:7,} {units / n:8.2f}")
    r, w = meter.total_read / total, meter.total_write / total
    print(f"per operator event: {r:.2f} read units, {w:.2f} write units (target <= 0.5 / 1.5)")
    cost = r * PRICE_PER_MILLION_RRU + w * PRICE_PER_MILLION_WRU
    print(f"= ${cost:.2f} per million events at on-demand list prices (us-east-1)")
    if nowhere.count:
        print(f"({nowhere.count} dead letters or alerts)")


if __name__ == "__main__":
    main()
