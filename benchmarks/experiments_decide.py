"""Cost of experiments and budgets in the decision: decisions/s for one rule firing on a
deposit, plain vs with a control group + experiment + budgets, and the stored state bytes
one recorded assignment and one per-player budget add. Prints figures; asserts nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import DepositSucceeded
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState
from shared.domain.run.decide import decide

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)
RULE: dict[str, Any] = {
    "rule_id": "deposit-bonus",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"points": 10}}],
}
EXTRAS: dict[str, Any] = {
    "experiment": {
        "experiment_id": "size",
        "holdout_percent": "10",
        "variants": [
            {"variant": "a", "weight": 1},
            {"variant": "b", "weight": 1, "then": [{"award_points": {"points": 20}}]},
        ],
    },
    "budget": {"campaign": 10**9, "per_player": 10**9, "period": "month"},
}


def state_bytes(state: PlayerState) -> int:
    return len(state.model_dump_json(exclude_defaults=True).encode())


def main() -> None:
    n = 3000
    game = {"experiments": [{"policy_id": "experiments", "control_group_percent": "5"}]}
    for label, rule, game_items in (
        ("plain rule", RULE, None),
        ("control group + experiment + budgets", {**RULE, **EXTRAS}, game),
    ):
        cfg = build_config(1, [rule], [], game_items=game_items)
        players = [f"p-{i}" for i in range(n)]
        events = [
            DepositSucceeded(
                player_id=p,
                event_id=f"d-{p}",
                occurred_at=T0 + timedelta(seconds=i),
                deposit_id=f"d-{p}",
                amount=Decimal("20"),
                currency="EUR",
            )
            for i, p in enumerate(players)
        ]
        states = [PlayerState.new(p) for p in players]
        start = time.perf_counter()
        after = [decide(s, e, cfg, T0) for s, e in zip(states, events, strict=True)]
        took = time.perf_counter() - start
        size = sum(state_bytes(d.state) for d in after) / n
        held = sum(any(a.category == "held_out" for a in d.audit) for d in after)
        print(
            f"{label:40s} {n / took:8.0f} decisions/s  {took / n * 1e6:7.1f} us each  "
            f"state {size:6.1f} B avg  held out {held}/{n}"
        )


if __name__ == "__main__":
    main()
