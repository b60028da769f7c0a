"""What a spin and a purchase record for audit, and what a retried request answers again."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class SpinRecord(BaseModel):
    """One spin: the draw (roll, the weights it was drawn among, the usage seen) and payout."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    spin_id: str
    player_id: str
    wheel_id: str
    at: datetime
    grant_id: str
    prize_id: str
    label: str
    reward: Literal["points", "badge", "spins", "nothing"]
    points: int | None = None
    badge: str | None = None
    spins_wheel: str | None = None
    spins_count: int | None = None
    # The draw: a roll in [0, sum(weights)) over the prizes still payable, in wheel order.
    roll: int
    weights: dict[str, int]
    stock_used_seen: dict[str, int]
    budget_period: str | None = None
    budget_used_seen: int | None = None
    cost: int = 0
    balance_after: int
    spins_left: int
    config_version: int


class PurchaseRecord(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    purchase_id: str
    player_id: str
    item_id: str
    name: str
    at: datetime
    price: int
    gives: Literal["badge", "spins", "fulfilment"]
    stock_used_seen: int | None = None
    balance_after: int
    config_version: int
