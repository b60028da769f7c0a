"""How big the player's state item gets from points lots and tier buckets, and what it costs.

A player earns points every day for a year (deposits, through the real decision) under each
expiry policy and tier window. The state item is what every write of that player carries:
DynamoDB bills transactional writes at 2 WCU per started KB of the stored (compressed) item,
so lots and buckets add up.

    python benchmarks/points_state_size.py
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import Consents, DepositSucceeded, PlayerRegistered
from shared.adapters.state_codec import encode_state
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState
from shared.domain.run.decide import decide

START = datetime(2026, 1, 1, 9, tzinfo=UTC)
RULE = {
    "rule_id": "deposit-points",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"rate": 1, "of": "amount"}}],
}
LADDER = [
    {"tier_id": "silver", "name": "Silver", "min_points": 500},
    {"tier_id": "gold", "name": "Gold", "min_points": 5000},
]
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("no expiry, no tiers", {}, {}),
    (
        "expire_at_month_end +12, calendar year",
        {"expire_at_month_end": True, "months_after": 12},
        {"window": "calendar", "calendar": "year"},
    ),
    (
        "expire_after_days 365, rolling 365 days",
        {"expire_after_days": 365},
        {"window": "rolling", "rolling_days": 365},
    ),
]


def _state_bytes(state: PlayerState) -> tuple[int, int]:
    """(JSON bytes, bytes as stored: compressed by shared/adapters/state_codec.py)."""
    text = state.model_dump_json(exclude_defaults=True)
    return len(text.encode()), len(encode_state(state))


def main() -> None:
    print("one player, one deposit a day for 365 days, each earning points")
    print(
        f"{'policy':<42} {'lots':>5} {'buckets':>8} {'JSON KB':>8} {'stored KB':>9} "
        f"{'WCU/write':>10} {'ms/event':>9}"
    )
    for name, points, tiers in CASES:
        game: dict[str, list[dict[str, Any]]] = {}
        if points:
            game["points"] = [{"policy_id": "points", **points}]
        if tiers:
            game["tiers"] = [{"program_id": "vip", "tiers": LADDER, **tiers}]
        config = build_config(1, [RULE], [], game_items=game)
        assert not config.problems, config.problems
        state = decide(
            PlayerState.new("p-1"),
            PlayerRegistered(
                player_id="p-1",
                event_id="reg",
                occurred_at=START,
                locale="en",
                time_zone="Europe/Kyiv",
                country="UA",
                consents=Consents(),
            ),
            config,
            START,
        ).state
        began = time.perf_counter()
        for day in range(365):
            when = START + timedelta(days=day, minutes=day % 60)
            event = DepositSucceeded(
                player_id="p-1",
                event_id=f"dep-{day}",
                occurred_at=when,
                deposit_id=f"d-{day}",
                amount=Decimal("25"),
                currency="EUR",
            )
            state = decide(state, event, config, when).state
        per_event_ms = (time.perf_counter() - began) * 1000 / 365
        text_size, size = _state_bytes(state)
        wcu = 2 * math.ceil(size / 1024)
        print(
            f"{name:<42} {len(state.wallet.lots):>5} {len(state.tier.earned):>8} "
            f"{text_size / 1024:>8.2f} {size / 1024:>9.2f} {wcu:>10} {per_event_ms:>9.2f}"
        )


if __name__ == "__main__":
    main()
