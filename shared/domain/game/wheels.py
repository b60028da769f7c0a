"""Wheels: weighted prizes with optional stock and a per-period budget, and the draw.

The draw itself is pure: the service passes in a roll from a cryptographic RNG
(`secrets.SystemRandom`) and what it read of the pools' usage; `eligible` keeps the prizes
that still have stock and fit the budget, `pick` maps the roll onto their weights. Stock
and budget are *claimed* in the same DynamoDB transaction that applies the spin, so the
usage read here only steers the draw; it never decides whether a prize is paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.models import TimeZone
from shared.domain.authoring.rules import GrantSpins, Slug
from shared.domain.basics.calendar_dates import BudgetPeriod, budget_period_key, zone

Label = Annotated[str, Field(min_length=1, max_length=80)]


class Prize(BaseModel):
    """One slot of a wheel. Its reward is at most one of points, badge or spins; none of
    them is a "try again" slot. `stock` caps how often it is ever paid (None: no cap);
    `cost` is what one payout takes from the wheel's budget."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    prize_id: Slug
    label: Label
    weight: Annotated[int, Field(ge=1, le=1_000_000)]
    points: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    badge: Slug | None = None
    spins: GrantSpins | None = None
    stock: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0

    @model_validator(mode="after")
    def _one_reward(self) -> Prize:
        given = [n for n in ("points", "badge", "spins") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"a prize gives one thing; got {given}")
        return self

    @property
    def reward_kind(self) -> Literal["points", "badge", "spins", "nothing"]:
        if self.points is not None:
            return "points"
        if self.badge is not None:
            return "badge"
        if self.spins is not None:
            return "spins"
        return "nothing"

    def describe(self) -> str:
        if self.points is not None:
            return f"{self.points} points"
        if self.badge is not None:
            return f"badge {self.badge}"
        if self.spins is not None:
            return f"{self.spins.count} spin(s) of {self.spins.wheel}"
        return "nothing"


class Budget(BaseModel):
    """How many budget units the wheel may pay out per period (in the given time zone)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    total: Annotated[int, Field(ge=0, le=10_000_000_000)]
    period: BudgetPeriod = "none"
    time_zone: TimeZone = "UTC"

    def period_key(self, at: datetime) -> str:
        """The budget period `at` falls in, as a stable key (local calendar of `time_zone`)."""
        return budget_period_key(self.period, at, zone(self.time_zone))


class Wheel(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    wheel_id: Slug
    name: Label = "Wheel"
    enabled: bool = True
    prizes: Annotated[list[Prize], Field(min_length=1, max_length=50)]
    budget: Budget | None = None

    @model_validator(mode="after")
    def _unique_prizes(self) -> Wheel:
        ids = [p.prize_id for p in self.prizes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"prizes: prize_id repeated: {dupes}")
        return self

    def prize(self, prize_id: str) -> Prize | None:
        return next((p for p in self.prizes if p.prize_id == prize_id), None)


def eligible(
    wheel: Wheel, stock_used: Mapping[str, int], budget_used: int, n: int = 1
) -> list[Prize]:
    """The prizes that can still be paid `n` times: stock left, and cost within the budget."""
    out = []
    for prize in wheel.prizes:
        if prize.stock is not None and stock_used.get(prize.prize_id, 0) + n > prize.stock:
            continue
        if (
            wheel.budget is not None
            and prize.cost > 0
            and budget_used + prize.cost * n > wheel.budget.total
        ):
            continue
        out.append(prize)
    return out


def total_weight(prizes: Sequence[Prize]) -> int:
    return sum(p.weight for p in prizes)


def pick(prizes: Sequence[Prize], roll: int) -> Prize:
    """The prize a roll in [0, total_weight) lands on: each prize owns `weight` numbers."""
    if not prizes:
        raise ValueError("nothing left to draw")
    if not 0 <= roll < total_weight(prizes):
        raise ValueError(f"roll {roll} outside [0, {total_weight(prizes)})")
    for prize in prizes:
        if roll < prize.weight:
            return prize
        roll -= prize.weight
    raise AssertionError("unreachable: the roll is below the total weight")
