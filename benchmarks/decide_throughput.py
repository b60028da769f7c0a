"""`decide` throughput on a realistic config over a 30-day player mix, with profile tops.

Config: the starter rules, templates and game items plus every shipped playbook (rules,
templates, segments). Population: `--players` players (default 1,000; the issue's figure is
10,000) registering over the first days, then living 30 days of a casino mix: daily and
weekly players, logins, deposits (some failed), rounds of slots/table/sports. Each player's
events go through `decide` in event-time order, in memory (no DynamoDB, no timers fired:
this measures the pure decision). Prints events/s for the copying decide (the engine's)
and for the in-place one (the backtest's), and the profile's top costs; asserts nothing.

    python benchmarks/decide_throughput.py [--players 10000] [--days 30] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from events.models import (
    Consents,
    DepositFailed,
    DepositSucceeded,
    EventDetail,
    PlayerLoggedIn,
    PlayerRegistered,
    RoundFinished,
)
from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.state import PlayerState
from shared.domain.game.game_config import GAME_KINDS
from shared.domain.run.decide import decide
from shared.playbooks import list_playbooks

T0 = datetime(2026, 10, 1, 8, tzinfo=UTC)
ZONES = ("Europe/Kyiv", "Europe/London", "America/New_York", "Australia/Sydney")
CATEGORIES = (("slots", 0.6), ("table", 0.25), ("sports", 0.15))


def realistic_config() -> ConfigSnapshot:
    starter = resources.files("shared.starter")
    rules: list[dict[str, Any]] = json.loads(starter.joinpath("rules.json").read_text())
    templates: list[dict[str, Any]] = json.loads(starter.joinpath("templates.json").read_text())
    game = {
        kind: json.loads(starter.joinpath("game", f"{kind}.json").read_text())
        for kind in GAME_KINDS
        if starter.joinpath("game", f"{kind}.json").is_file()
    }
    segments: list[dict[str, Any]] = []
    for playbook in list_playbooks():
        rules += playbook.rules
        templates += playbook.templates
        segments += playbook.segments
    snapshot = build_config(1, rules, templates, (), segments, game_items=game)
    if snapshot.problems:
        raise SystemExit(f"the realistic config does not load: {snapshot.problems}")
    return snapshot


def player_events(i: int, days: int, rng: random.Random) -> list[EventDetail]:
    """One player's month: a daily, weekly or drifting habit, deposits and rounds."""
    player = f"p-{i:06d}"
    joined = T0 + timedelta(hours=rng.uniform(0, 72))
    events: list[EventDetail] = [
        PlayerRegistered(
            player_id=player,
            event_id=f"{player}-reg",
            occurred_at=joined,
            locale="en",
            time_zone=rng.choice(ZONES),
            country="GB",
            first_name="Sam",
            email=f"{player}@example.org",
            consents=Consents(email=True, push=rng.random() < 0.5),
        )
    ]
    habit = rng.choices(("daily", "weekly", "drifting"), weights=(0.3, 0.5, 0.2))[0]
    n = 0
    for day in range(days):
        if habit == "daily":
            plays = rng.random() < 0.85
        elif habit == "weekly":
            plays = rng.random() < 0.2
        else:
            plays = rng.random() < max(0.05, 0.8 - day * 0.04)
        if not plays:
            continue
        at = joined + timedelta(days=day, hours=rng.uniform(0, 14))
        n += 1
        events.append(PlayerLoggedIn(player_id=player, event_id=f"{player}-l{n}", occurred_at=at))
        if rng.random() < 0.3:
            at += timedelta(minutes=2)
            amount = Decimal(rng.choice((10, 20, 50, 100, 250)))
            failed = rng.random() < 0.15
            deposit = DepositFailed if failed else DepositSucceeded
            events.append(
                deposit(
                    player_id=player,
                    event_id=f"{player}-{'df' if failed else 'd'}{n}",
                    occurred_at=at,
                    deposit_id=f"{player}-d{n}",
                    amount=amount,
                    currency="EUR",
                )
            )
        category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        for k in range(rng.randint(3, 12)):
            stake = Decimal(rng.choice((1, 2, 5)))
            payout = stake * Decimal(rng.choice((0, 0, 0, 1, 2, 5)))
            events.append(
                RoundFinished(
                    player_id=player,
                    event_id=f"{player}-r{n}-{k}",
                    occurred_at=at + timedelta(minutes=5 + k),
                    round_id=f"{player}-r{n}-{k}",
                    game_id=f"{category}-{rng.randint(1, 20)}",
                    category=category,
                    stake=stake,
                    payout=payout,
                    currency="EUR",
                )
            )
    return events


def run(
    config: ConfigSnapshot, population: list[list[EventDetail]], *, in_place: bool = False
) -> int:
    count = 0
    for events in population:
        state = PlayerState.new(events[0].player_id)
        for event in events:
            state = decide(state, event, config, event.occurred_at, in_place=in_place).state
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    config = realistic_config()
    rng = random.Random(7)
    population = [player_events(i, args.days, rng) for i in range(args.players)]
    total = sum(len(p) for p in population)
    print(
        f"config: {len(config.rules)} rules, {len(config.templates)} templates; "
        f"{args.players:,} players x {args.days} days = {total:,} events"
    )
    # Copying (the engine's decide: the state it was given is left as it was) and in place
    # (the backtest's: the caller gives the state up, no working copy).
    for label, in_place in (("decide", False), ("decide in place", True)):
        started, cpu_started = time.perf_counter(), time.process_time()
        count = run(config, population, in_place=in_place)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        # CPU time too: on a shared machine the wall clock also counts other processes' turns.
        print(
            f"{label}: {count / cpu:,.0f} events per CPU second, {count / elapsed:,.0f} per "
            f"wall second ({cpu:.1f} s CPU, {elapsed:.1f} s wall, one core, in memory)"
        )
    if args.no_profile:
        return
    sample = population[: max(1, min(len(population), 200))]
    profiler = cProfile.Profile()
    profiler.enable()
    run(config, sample)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print("profile, top 15 by own time (200 players):")
    print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
