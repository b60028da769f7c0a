"""Scheduler calls per active player per day under the sliding-timer inactivity design,
the monthly Scheduler cost for 1M monthly active players, and a daily full-table scan
design for comparison.

Run: python benchmarks/lifecycle_scheduler_cost.py [--players 2000] [--days 30]

Players are simulated through the real decision core (lifecycle on, starter rules): each
day a player is active with some probability, and timers fire at their due time as
EventBridge Scheduler would fire them. Every ScheduleTimer effect is one Create/Update
call, every CancelTimer one Get + Delete, and every fire is one scheduled invocation.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from events.models import (
    DepositSucceeded,
    EventDetail,
    PlayerLoggedIn,
    PlayerRegistered,
    RoundFinished,
    TimerFired,
)
from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.state import CancelTimer, PlayerState, ScheduleTimer
from shared.domain.run.decide import decide

START = datetime(2026, 11, 1, tzinfo=UTC)
# Prices (us-east-1, USD): Scheduler bills scheduled invocations only (first 14M a month
# free, then $1.00 per million); DynamoDB on-demand reads $0.125 per million RRU.
SCHEDULER_FREE_INVOCATIONS = 14_000_000
SCHEDULER_PER_MILLION = 1.00
RRU_PER_MILLION = 0.125


def starter_config() -> ConfigSnapshot:
    def load(name: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(
            resources.files("shared.starter").joinpath(name).read_text()
        )
        return items

    return build_config(1, load("rules.json"), load("templates.json"))


def simulate(players: int, days: int, seed: int) -> dict[str, float]:
    rnd = random.Random(seed)
    config = starter_config()
    creates = cancels = fires = active_player_days = state_bytes = 0
    for p in range(players):
        pid = f"p-{p}"
        # Activity profile: daily regulars, weekly visitors and drifters who stop.
        kind = rnd.choices(["daily", "weekly", "drifter"], [0.3, 0.5, 0.2])[0]
        p_active = {"daily": 0.85, "weekly": 0.2, "drifter": 0.5}[kind]
        stop_day = rnd.randint(3, days) if kind == "drifter" else days
        queue: list[tuple[datetime, int, EventDetail]] = []
        seq = 0

        def push(
            when: datetime,
            event: EventDetail,
            queue: list[tuple[datetime, int, EventDetail]] = queue,
        ) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(queue, (when, seq, event))

        push(
            START,
            PlayerRegistered(
                player_id=pid,
                event_id=f"reg-{p}",
                occurred_at=START,
                locale="en",
                time_zone="Europe/Kyiv",
                country="UA",
                email=f"{pid}@example.org",
            ),
        )
        for day in range(days):
            if day < stop_day and rnd.random() < p_active:
                t = START + timedelta(
                    days=day, hours=rnd.randint(8, 22), minutes=rnd.randint(0, 59)
                )
                push(t, PlayerLoggedIn(player_id=pid, event_id=f"l-{p}-{day}", occurred_at=t))
                push(
                    t + timedelta(minutes=5),
                    RoundFinished(
                        player_id=pid,
                        event_id=f"r-{p}-{day}",
                        occurred_at=t + timedelta(minutes=5),
                        round_id=f"r{day}",
                        game_id="g",
                        category="slots",
                        stake=Decimal(1),
                        payout=Decimal(0),
                        currency="EUR",
                    ),
                )
                if rnd.random() < 0.1:
                    push(
                        t + timedelta(minutes=9),
                        DepositSucceeded(
                            player_id=pid,
                            event_id=f"d-{p}-{day}",
                            occurred_at=t + timedelta(minutes=9),
                            deposit_id=f"d{day}",
                            amount=Decimal(20),
                            currency="EUR",
                        ),
                    )
        active_days = set()
        state = PlayerState.new(pid)
        end = START + timedelta(days=days)
        while queue:
            when, _, event = heapq.heappop(queue)
            if when >= end:
                break
            if not isinstance(event, TimerFired):
                active_days.add((when - START).days)
            else:
                fires += 1
            d = decide(state, event, config, when)
            state = d.state
            for item in d.outbox:
                eff = item.effect
                if isinstance(eff, ScheduleTimer):
                    creates += 1
                    push(
                        eff.fire_at,
                        TimerFired(
                            player_id=pid,
                            event_id=f"t-{eff.schedule_name}-{eff.generation}",
                            occurred_at=eff.fire_at,
                            timer=eff.timer,
                            rule_id=eff.rule_id,
                            generation=eff.generation,
                        ),
                    )
                elif isinstance(eff, CancelTimer):
                    cancels += 1
        active_player_days += len(active_days)
        state_bytes += len(state.model_dump_json(exclude_defaults=True))
    return {
        "players": players,
        "days": days,
        "active_player_days": active_player_days,
        "create_or_update_calls": creates,
        "get_and_delete_calls": cancels * 2,
        "invocations": fires,
        "avg_state_bytes": state_bytes / players,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    r = simulate(args.players, args.days, args.seed)
    apd = r["active_player_days"]
    calls = r["create_or_update_calls"] + r["get_and_delete_calls"]
    print(
        f"Simulated {r['players']:,} players over {r['days']} days ({apd:,} active player-days), starter rules + lifecycle"
    )
    print(
        f"  Scheduler API calls: {calls:,} ({r['create_or_update_calls']:,} create/update, {r['get_and_delete_calls']:,} get+delete)"
    )
    print(f"  scheduled invocations (timer fires): {r['invocations']:,}")
    print(
        f"  per active player per day: {calls / apd:.3f} API calls, {r['invocations'] / apd:.3f} invocations"
    )
    mau = 1_000_000
    monthly_invocations = r["invocations"] / r["players"] * mau * 30 / r["days"]
    billable = max(0.0, monthly_invocations - SCHEDULER_FREE_INVOCATIONS)
    print(
        f"\n1M monthly active players with the same mix: {monthly_invocations / 1e6:.2f}M invocations/month"
    )
    print(
        f"  Scheduler cost: ${billable / 1e6 * SCHEDULER_PER_MILLION:,.2f}/month "
        f"(first 14M invocations free; API calls are not billed)"
    )
    print(
        f"  plus one PutEvents per fire onto the bus: ${monthly_invocations / 1e6 * 1.00:,.2f}/month at $1.00/M custom events"
    )
    # A daily scan must read every item in the player table (state, ledger, markers,
    # outbox, audit), eventually consistent: 0.5 RRU per 4 KB.
    for items_per_player, avg_item in ((1, r["avg_state_bytes"]), (40, 400)):
        table_bytes = mau * items_per_player * avg_item
        rru_per_scan = table_bytes / 4096 * 0.5
        monthly = rru_per_scan * 30 / 1e6 * RRU_PER_MILLION
        print(
            f"\nDaily full-table scan, {items_per_player} item(s)/player of ~{avg_item:.0f} B: "
            f"{rru_per_scan / 1e6:.2f}M RRU per scan, ${monthly:,.2f}/month in reads alone"
        )
    print(
        "  ...plus evaluating 1M players every day in Lambda, and nudges only as fresh as the last scan"
    )


if __name__ == "__main__":
    main()
