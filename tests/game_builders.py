"""Builders for wheels, store items and configs that hold them (wheel and store tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.models import DepositSucceeded, RewardPurchased, SelfExcluded, WheelSpun
from shared.domain.core.config import ConfigSnapshot, build_config
from tests.builders import PLAYER, T0, eid, template

GRANT_RULE = {
    "rule_id": "deposit-spin",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"grant_spins": {"wheel": "daily", "count": 1, "expires_after": "P1D"}}],
}
EARN_RULE = {
    "rule_id": "deposit-points",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"of": "amount", "rate": 1}}],
}


def prize(prize_id: str, weight: int = 1, **kw: Any) -> dict[str, Any]:
    return {"prize_id": prize_id, "label": prize_id.title(), "weight": weight, **kw}


def wheel(wheel_id: str = "daily", *prizes: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "wheel_id": wheel_id,
        "name": wheel_id.title(),
        "prizes": list(prizes) or [prize("p100", points=100), prize("miss")],
        **kw,
    }


def item(item_id: str = "voucher", price: int = 100, **kw: Any) -> dict[str, Any]:
    return {"item_id": item_id, "name": item_id.title(), "price": price, **kw}


def game_config(
    *rules: dict[str, Any],
    wheels: list[dict[str, Any]] | None = None,
    items: list[dict[str, Any]] | None = None,
    badges: list[str] = ("lucky",),  # type: ignore[assignment]
    version: int = 1,
) -> ConfigSnapshot:
    snapshot = build_config(
        version,
        list(rules),
        [template("hello")],
        [{"policy_id": "engagement", "lifecycle": False}],
        game_items={
            "wheel": wheels if wheels is not None else [wheel()],
            "store_item": items if items is not None else [item()],
            "badge": [{"badge_id": b, "name": b.title()} for b in badges],
        },
    )
    assert not snapshot.problems, snapshot.problems
    return snapshot


def deposit_of(amount: int, when: datetime = T0, player: str = PLAYER) -> DepositSucceeded:
    return DepositSucceeded(
        player_id=player,
        event_id=eid("dep"),
        occurred_at=when,
        amount=amount,
        currency="EUR",
        deposit_id=eid("d"),
    )


def spun(
    prize_id: str, when: datetime, wheel_id: str = "daily", spin_id: str | None = None
) -> WheelSpun:
    spin_id = spin_id or eid("req")
    return WheelSpun(
        player_id=PLAYER,
        event_id=f"spin.{spin_id}",
        occurred_at=when,
        wheel_id=wheel_id,
        prize_id=prize_id,
        spin_id=spin_id,
    )


def purchased(
    item_id: str, price: int, when: datetime, purchase_id: str | None = None
) -> RewardPurchased:
    purchase_id = purchase_id or eid("req")
    return RewardPurchased(
        player_id=PLAYER,
        event_id=f"purchase.{purchase_id}",
        occurred_at=when,
        item_id=item_id,
        price=price,
        purchase_id=purchase_id,
    )


def excluded(when: datetime, player: str = PLAYER) -> SelfExcluded:
    return SelfExcluded(player_id=player, event_id=eid("rg"), occurred_at=when)
