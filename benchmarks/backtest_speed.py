"""Backtest speed, end to end on one core: lake files -> history -> two replays -> report.

A synthetic casino population (shared/backtest/simulate.py) is written to a local lake as the
runtime would (one `events` row per event, Parquet by day), then timed: reading the lake,
replaying it under the starter config and under a draft, and comparing. The draft is
`--draft login` (the daily-login points doubled: a rule every player meets, so it is
replayed for everyone) or `--draft big-deposit` (a new rule for deposits of 500 or more: a
draft of rules only is replayed for the players it meets, shared/backtest/scope.py). Prints events/s and the wall time for 30 days x 10,000 players, measured
(`--players 10000`) or extrapolated linearly from a smaller run (labelled as such). Asserts
nothing.

    python benchmarks/backtest_speed.py [--players 1000] [--days 30] [--workers 1] [--next-draft]
                                        [--draft login|big-deposit]

`--next-draft` then backtests a second draft (the login points tripled) over the same lake
with the published run kept from the first (shared/backtest/published_cache.py), as
`engage backtest` does for a marketer's next try, and prints its figures too.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.adapters.lake_files import LocalLake
from shared.backtest.config_items import ConfigItems, starter_items
from shared.backtest.history import day_bounds, read_lake
from shared.backtest.published_cache import PublishedCache, backtest_keeping_published
from shared.backtest.simulate import synthetic_history
from shared.domain.outputs.lake import event_row

START = datetime(2026, 10, 1, tzinfo=UTC)
GOAL_PLAYERS, GOAL_DAYS = 10_000, 30


def _draft(published: ConfigItems, kind: str, points: int = 20) -> ConfigItems:
    if kind == "big-deposit":
        rule = {
            "rule_id": "big-deposit-thanks",
            "on": ["wallet.deposit_succeeded"],
            "match": {"event": {"amount": [{"numeric": [">=", 500]}]}},
            "then": [
                {"send": {"template": "first-deposit", "channel": "email"}},
                {"award_points": {"points": points * 5, "reason": "big deposit"}},
            ],
        }
        return published.overlay(ConfigItems(rules=[rule]))
    login = next(r for r in published.rules if r["rule_id"] == "daily-login-points")
    changed = json.loads(json.dumps(login).replace('"points": 10', f'"points": {points}'))
    return published.overlay(ConfigItems(rules=[changed]))


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (the pool's workers), user + system."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--next-draft", action="store_true")
    parser.add_argument("--draft", choices=("login", "big-deposit"), default="login")
    args = parser.parse_args()

    started = time.perf_counter()
    history = synthetic_history(args.players, args.days, "casino", seed=7, start=START)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        lake = LocalLake(Path(folder) / "lake")
        started = time.perf_counter()
        for player in history.players:
            lake.add(
                event_row(
                    {
                        "source": "casino.example",
                        "detail-type": e.detail_type,
                        "detail": e.model_dump(mode="json"),
                    }
                )
                for e in player.events
            )
        lake.flush()
        written = time.perf_counter() - started
        published = starter_items()
        pub, draft = published.build(1), _draft(published, args.draft).build(2)
        last = (START + timedelta(days=args.days - 1)).date()
        count_from, until = day_bounds(START.date(), last)

        started, cpu_started = time.perf_counter(), time.process_time()
        children_started = _children_cpu()
        replayed = read_lake(lake.root, until=last)
        read = time.perf_counter() - started
        # With --next-draft the first run keeps its published side, as `engage backtest` does.
        cache = PublishedCache(Path(folder) / "backtest-cache") if args.next_draft else None
        report = backtest_keeping_published(
            cache, replayed, published, pub, draft, count_from, until, workers=args.workers
        )
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        children = _children_cpu() - children_started
        if args.next_draft:
            started, cpu_started = time.perf_counter(), time.process_time()
            children_started = _children_cpu()
            again = backtest_keeping_published(
                cache,
                read_lake(lake.root, until=last),
                published,
                pub,
                _draft(published, args.draft, 30).build(3),
                count_from,
                until,
                workers=args.workers,
            )
            assert again.published.cached, "the published run was not found under the same key"
            next_total = time.perf_counter() - started
            next_cpu = time.process_time() - cpu_started + _children_cpu() - children_started

    events = replayed.event_count
    steps = report.published.result.steps + report.draft.result.steps
    print(
        f"{args.players:,} players x {args.days} days = {events:,} input events "
        f"(generated in {generated:.1f} s, lake written in {written:.1f} s)"
    )
    print(
        f"read lake {read:.1f} s (parsed {report.parse_seconds:.1f} s, in the workers with --workers); replay published {report.published.seconds:.1f} s, "
        f"draft {report.draft.seconds:.1f} s; {steps:,} decisions (timers and derived events "
        f"included); {len(report.changed):,} players changed"
    )
    print(
        f"draft '{args.draft}' replayed for {report.draft.players_replayed:,} of "
        f"{report.players:,} players"
    )
    print(
        f"end to end: {total:.1f} s = {events / total:,.0f} input events/s backtested "
        f"(each replayed twice: {steps / total:,.0f} decisions/s), workers={args.workers}"
    )
    # Wall time on a shared machine includes waiting for a core (10 % run to run here); CPU
    # seconds, the workers' counted when they end, are what tell two versions apart.
    all_cpu = cpu + children
    print(
        f"CPU {all_cpu:.1f} s = {events / all_cpu:,.0f} input events/s per CPU-second "
        f"(this process {cpu:.1f} s, its workers {children:.1f} s)"
    )
    goal_events = events * (GOAL_PLAYERS / args.players) * (GOAL_DAYS / args.days)
    estimate = total * goal_events / events
    cpu_estimate = all_cpu * goal_events / events
    label = (
        "measured"
        if (args.players, args.days) == (GOAL_PLAYERS, GOAL_DAYS)
        else f"EXTRAPOLATED linearly from {args.players:,} x {args.days}"
    )
    print(
        f"30 days x 10,000 players ({goal_events:,.0f} events): {estimate:,.0f} s "
        f"({estimate / 60:.1f} min) wall, {cpu_estimate:,.0f} s CPU [{label}]; goal <= 120 s"
    )
    if args.next_draft:
        print(
            f"next draft over the same lake, published run kept: {next_total:.1f} s wall, "
            f"CPU {next_cpu:.1f} s = {events / next_cpu:,.0f} input events/s per CPU-second, "
            f"workers={args.workers} [{label} for the 10,000 x 30 goal: "
            f"{next_total * goal_events / events:,.0f} s wall, "
            f"{next_cpu * goal_events / events:,.0f} s CPU]"
        )


if __name__ == "__main__":
    main()
