"""What the reorder window costs: DynamoDB units, transactions, wake-up schedules and
decision delay per event, with the window off (W = 0) and on (W = 4 min by default, as deployed).

Run: python benchmarks/reorder_cost.py [--players 20] [--window 180]

The real engine (starter rules, lifecycle on) commits through the real PlayerStore on
moto's in-process DynamoDB; its CapacityMeter costs each transaction from the item sizes,
as DynamoDB bills it (moto reports no capacity for transactions). A fake scheduler fires
timers and wake-ups at their time on a virtual clock. Three player shapes:

- spaced:  a casual player, events minutes to hours apart (each is its own batch);
- session: a slots session, one round every 5 s for 10 minutes;
- batched: ten events of one player arriving in one SQS batch.

Delay is virtual time from an event's arrival to the commit that decided it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.models import EventDetail
from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import Commit, Loaded, PlayerStore
from shared.clock import FixedClock
from tests.builders import T0, deposit, logged_in, registered, round_
from tests.reorder_harness import MemoryPlayerStore, Pipeline, starter_config

TABLE = "bench-players"


class TeeStore:
    """The engine's store: the metered PlayerStore on moto, mirrored into the in-memory
    store the pipeline reads effects from; records when each event was decided."""

    def __init__(self, real: PlayerStore, memory: MemoryPlayerStore, clock: FixedClock) -> None:
        self.real = real
        self.memory = memory
        self.clock = clock
        self.decided_at: dict[str, datetime] = {}
        self.transactions = 0

    def load(
        self, player_id: str, event_ids: Any, reversals: Any = (), *args: Any, **kw: Any
    ) -> Loaded:
        return self.real.load(player_id, event_ids, reversals, *args, **kw)

    def commit(self, commit: Commit, now: datetime, dedupe_for: timedelta) -> None:
        self.real.commit(commit, now, dedupe_for)
        self.memory.commit(commit, now, dedupe_for)
        self.transactions += 1
        for event_id in commit.event_ids:
            self.decided_at.setdefault(event_id, self.clock.now())

    def put_audit(self, entry: Any) -> None:
        self.real.put_audit(entry)


def shapes(player: str) -> dict[str, list[tuple[datetime, EventDetail]]]:
    spaced: list[EventDetail] = [
        registered(T0, player=f"{player}-s", event_id=f"{player}-s-reg"),
        deposit(T0 + timedelta(minutes=12), "50", player=f"{player}-s"),
        logged_in(T0 + timedelta(hours=3), player=f"{player}-s"),
        round_(T0 + timedelta(hours=3, minutes=7), "5", player=f"{player}-s"),
        logged_in(T0 + timedelta(hours=26), player=f"{player}-s"),
    ]
    session: list[EventDetail] = [registered(T0, player=f"{player}-r", event_id=f"{player}-r-reg")]
    session += [
        round_(
            T0 + timedelta(minutes=5, seconds=5 * i),
            "2",
            "0" if i % 3 else "5",
            player=f"{player}-r",
        )
        for i in range(120)
    ]
    batched_at = T0 + timedelta(minutes=1)
    batched: list[EventDetail] = [registered(T0, player=f"{player}-b", event_id=f"{player}-b-reg")]
    batched += [
        logged_in(batched_at + timedelta(seconds=i), player=f"{player}-b") for i in range(3)
    ]
    batched += [
        round_(batched_at + timedelta(seconds=3 + i), "1", player=f"{player}-b") for i in range(6)
    ]
    return {
        "spaced": [(e.occurred_at, e) for e in spaced],
        "session": [(e.occurred_at, e) for e in session],
        # All ten arrive together, a few seconds after the last happened.
        "batched": [(batched_at + timedelta(seconds=12), e) for e in batched],
    }


def run(shape: str, players: int, window: timedelta) -> dict[str, float]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
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
        meter = CapacityMeter()
        pipeline = Pipeline(starter_config(), window, T0 - timedelta(seconds=1))
        tee = TeeStore(PlayerStore(TABLE, ddb, meter), pipeline.store, pipeline.clock)
        pipeline.engine._players = tee  # type: ignore[assignment]  # metered, same engine
        arrivals: list[tuple[datetime, EventDetail]] = []
        if shape == "batched":
            for p in range(players):
                batch = shapes(f"p{p}")[shape]
                pipeline.deliver_batch(batch[0][0], [e for _, e in batch])
                arrivals += batch
        else:
            for p in range(players):
                arrivals += shapes(f"p{p}")[shape]
            pipeline.deliver(arrivals)
        started = time.process_time()
        result = pipeline.run(max(a for a, _ in arrivals) + timedelta(hours=2))
        cpu = time.process_time() - started
        events = len(arrivals)
        delays = [
            (tee.decided_at[e.event_id] - arrived).total_seconds()
            for arrived, e in arrivals
            if e.event_id in tee.decided_at
        ]
        assert len(delays) == events, "every event must have been decided"
        return {
            "events": events,
            "tx_per_event": tee.transactions / events,
            "wcu_per_event": meter.total_write / events,
            "rcu_per_event": meter.total_read / events,
            "wakes_per_event": result.wakes / events,
            "delay_mean_s": statistics.fmean(delays),
            "delay_max_s": max(delays),
            "cpu_ms_per_event": 1000 * cpu / events,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--window", type=int, default=240, help="seconds")
    args = parser.parse_args()
    window = timedelta(seconds=args.window)
    header = (
        f"{'shape':<8} {'W':>5} {'events':>6} {'tx/ev':>6} {'WCU/ev':>7} {'RCU/ev':>7} "
        f"{'wakes/ev':>8} {'delay mean s':>12} {'delay max s':>11} {'CPU ms/ev':>9}"
    )
    print(header)
    for shape in ("spaced", "session", "batched"):
        for w in (timedelta(0), window):
            r = run(shape, args.players, w)
            print(
                f"{shape:<8} {int(w.total_seconds()):>5} {int(r['events']):>6} "
                f"{r['tx_per_event']:>6.2f} {r['wcu_per_event']:>7.2f} {r['rcu_per_event']:>7.2f} "
                f"{r['wakes_per_event']:>8.3f} {r['delay_mean_s']:>12.1f} "
                f"{r['delay_max_s']:>11.1f} {r['cpu_ms_per_event']:>9.2f}"
            )


if __name__ == "__main__":
    main()
