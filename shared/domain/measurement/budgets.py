"""Bonus budgets of a rule (campaign): what its rewards may cost per period, in total and
per player. Semantics: docs/experiments-and-budgets.md.

The campaign total is a pool shared by every engine: the decision only *asks* for the units
(`BudgetClaim`), and the store claims them in the player's commit transaction, conditioned
on the pool staying within its limit (shared/adapters/game_pools.py), exactly like a
wheel's budget. The per-player total lives in the player's own state item, whose version
check already serialises every writer of that player.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.models import TimeZone
from shared.domain.basics.calendar_dates import BudgetPeriod, budget_period_key, zone

BudgetUnit = Literal["points", "spins", "money"]
Units = Annotated[int, Field(ge=1, le=10_000_000_000)]


class RuleBudget(BaseModel):
    """`campaign` units per period for everyone, `per_player` units per period for one
    player. Units are points awarded, spins granted, or bonus money in minor units
    (cents), where a point costs `point_value` and a spin `spin_value` cents."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    unit: BudgetUnit = "points"
    campaign: Units | None = None
    per_player: Units | None = None
    period: BudgetPeriod = "none"
    time_zone: TimeZone = "UTC"
    point_value: Annotated[Decimal, Field(ge=0, le=1_000_000)] = Decimal(0)
    spin_value: Annotated[Decimal, Field(ge=0, le=1_000_000)] = Decimal(0)

    @model_validator(mode="after")
    def _meaningful(self) -> RuleBudget:
        if self.campaign is None and self.per_player is None:
            raise ValueError("give 'campaign', 'per_player', or both")
        if self.unit == "money" and self.point_value == 0 and self.spin_value == 0:
            raise ValueError("a money budget needs 'point_value' and/or 'spin_value' (cents)")
        if self.unit != "money" and (self.point_value or self.spin_value):
            raise ValueError("'point_value' and 'spin_value' are only for unit 'money'")
        return self

    def cost(self, points: int = 0, spins: int = 0) -> int:
        """What a reward takes from this budget (money rounded up to a whole cent)."""
        if self.unit == "points":
            return points
        if self.unit == "spins":
            return spins
        return math.ceil(points * self.point_value + spins * self.spin_value)

    def period_key(self, at: datetime) -> str:
        """The budget period `at` falls in (local calendar of `time_zone`)."""
        return budget_period_key(self.period, at, zone(self.time_zone))


def player_budget_key(rule_id: str, period: str) -> str:
    """The key of a player's spend under a rule's budget in their state."""
    return f"{rule_id}#{period}"


@dataclass(frozen=True)
class BudgetClaim:
    """Take `amount` units of rule `rule_id`'s campaign budget for `period`, only if the
    pool's usage stays within `limit` (the store makes that condition part of the commit)."""

    rule_id: str
    period: str
    amount: int
    limit: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id, self.period)


def merge_claims(claims: list[BudgetClaim], more: list[BudgetClaim]) -> list[BudgetClaim]:
    """One claim per pool (a transaction may touch an item once): amounts add up, the
    latest limit is the one checked."""
    merged: dict[tuple[str, str], BudgetClaim] = {c.key: c for c in claims}
    for c in more:
        before = merged.get(c.key)
        amount = c.amount + (before.amount if before else 0)
        merged[c.key] = BudgetClaim(c.rule_id, c.period, amount, c.limit)
    return list(merged.values())
