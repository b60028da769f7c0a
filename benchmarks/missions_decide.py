"""Cost of missions in the decision: events/s for one player with 0, 1 and 10 live missions,
and the stored state size they add. Prints figures; asserts nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import PlayerRegistered, RoundFinished
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState
from shared.domain.run.decide import decide

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)


def mission(i: int) -> dict[str, Any]:
    return {
        "mission_id": f"m{i}",
        "name": f"M{i}",
        "steps": [
            {
                "step_id": "games",
                "on": ["game.round_finished"],
                "counter": "distinct",
                "field": "game_id",
                "target": 50,
            },
            {
                "step_id": "wager",
                "on": ["game.round_finished"],
                "match": {"event": {"category": ["slots"]}},
                "counter": "sum",
                "field": "stake",
                "target": 100000,
            },
        ],
        "window": {"kind": "week"},
        "recurring": True,
        "reward": [{"award_points": {"points": 10}}],
    }


def main() -> None:
    n = 5000
    for count in (0, 1, 10):
        cfg = build_config(1, [], [], game_items={"mission": [mission(i) for i in range(count)]})
        state = PlayerState.new("p")
        reg = PlayerRegistered(
            player_id="p",
            event_id="r",
            occurred_at=T0,
            time_zone="Europe/Kyiv",
            locale="en",
            country="UA",
        )
        state = decide(state, reg, cfg, T0).state
        rounds = [
            RoundFinished(
                player_id="p",
                event_id=f"e{k}",
                occurred_at=T0 + timedelta(minutes=k),
                round_id=f"r{k}",
                game_id=f"g{k % 40}",
                category="slots",
                stake=Decimal(1),
                payout=Decimal(0),
                currency="EUR",
            )
            for k in range(n)
        ]
        started = time.perf_counter()
        for event in rounds:
            state = decide(state, event, cfg, T0).state
        elapsed = time.perf_counter() - started
        size = len(state.model_dump_json(exclude_defaults=True))
        print(f"{count:>2} missions: {n / elapsed:8.0f} events/s; state {size} bytes")


if __name__ == "__main__":
    main()
