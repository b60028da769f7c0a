"""Tiers (levels) on points *earned* in a qualification window, never on the spendable balance.

Earned points are kept in buckets in the program's time zone: one per day for a rolling
window, one per month for a calendar window, pruned once no window can count them. Spends
and expiries do not touch the buckets; a reversal takes its points out of the bucket they
were earned in (so a charged-back deposit stops counting toward status).

Upgrades are immediate. Downgrades follow the policy: `none` never downgrades; `period_end`
reviews the tier when the qualification period ends (+ grace) and keeps the higher of the
tier the ended period supports and the one the current period already supports.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.models import TimeZone
from shared.domain.authoring.rules import Slug
from shared.domain.basics.calendar_dates import local_midnight, zone

TIER_RULE = "tiers"
REVIEW_TIMER = "tier.review"


class Tier(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    tier_id: Slug
    name: Annotated[str, Field(min_length=1, max_length=80)]
    min_points: Annotated[int, Field(ge=0, le=1_000_000_000)]


class TierProgram(BaseModel):
    """The ladder, its qualification window and its downgrade policy (config `tiers`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    program_id: Slug
    enabled: bool = True
    tiers: list[Tier] = Field(min_length=1, max_length=20)
    window: Literal["rolling", "calendar"] = "rolling"
    rolling_days: Annotated[int, Field(ge=1, le=366)] = 365
    calendar: Literal["month", "quarter", "year"] = "year"
    time_zone: TimeZone = "UTC"
    downgrade: Literal["none", "period_end"] = "period_end"
    grace_days: Annotated[int, Field(ge=0, le=365)] = 0

    @model_validator(mode="after")
    def _ladder(self) -> TierProgram:
        mins = [t.min_points for t in self.tiers]
        if any(b <= a for a, b in pairwise(mins)):
            raise ValueError("tiers: list them from lowest to highest, min_points increasing")
        ids = [t.tier_id for t in self.tiers]
        if len(set(ids)) != len(ids):
            raise ValueError("tiers: each tier_id once")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    def rank(self, tier_id: str | None) -> int:
        """Position on the ladder; -1 for no tier or one no longer in the program."""
        for i, tier in enumerate(self.tiers):
            if tier.tier_id == tier_id:
                return i
        return -1

    def supported(self, points: int) -> Tier | None:
        """The highest tier `points` qualify for."""
        hit = None
        for tier in self.tiers:
            if points >= tier.min_points:
                hit = tier
        return hit

    # --- buckets and windows (all in the program's time zone) ------------------------

    def bucket(self, at: datetime) -> str:
        return self.bucket_of_day(at.astimezone(self.zone).date())

    def bucket_of_day(self, local: date) -> str:
        """The bucket of a local day: the day itself (rolling window) or its month."""
        return local.isoformat() if self.window == "rolling" else local.isoformat()[:7]

    def period_start(self, at: datetime) -> date:
        """First local day of the calendar period containing `at`."""
        local = at.astimezone(self.zone).date()
        if self.calendar == "month":
            return local.replace(day=1)
        if self.calendar == "quarter":
            return local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1)
        return local.replace(month=1, day=1)

    def next_period_start(self, start: date) -> date:
        months = {"month": 1, "quarter": 3, "year": 12}[self.calendar]
        index = start.year * 12 + start.month - 1 + months
        return date(index // 12, index % 12 + 1, 1)

    def local_midnight(self, day: date) -> datetime:
        return local_midnight(day, self.zone)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def qualifying(self, earned: dict[str, int], at: datetime, local: date | None = None) -> int:
        """Points earned in the window that `at` falls in (`local`: its date here, if known)."""
        if self.window == "rolling":
            day = local if local is not None else self.local_date(at)
            first = (day - timedelta(days=self.rolling_days - 1)).isoformat()
            total = 0
            for k, v in earned.items():  # a loop: a generator per earn costs more
                if k >= first:
                    total += v
            return total
        start = self.period_start(at)
        end = self.next_period_start(start)
        return sum(v for k, v in earned.items() if start.isoformat()[:7] <= k < end.isoformat()[:7])

    def keep_from(self, at: datetime, local: date | None = None) -> str:
        """Oldest bucket any review from `at` on may still need."""
        if local is None:
            local = self.local_date(at)
        if self.window == "rolling":
            return (local - timedelta(days=self.rolling_days + self.grace_days)).isoformat()
        # The review of the period before this one may still be pending (grace).
        previous = self.period_start(self.local_midnight(local) - timedelta(days=1))
        earliest = min(previous, self.period_start(at))
        return earliest.isoformat()[:7]


class TierStatus(BaseModel):
    """The player's tier and the points earned per qualification bucket."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    tier: str | None = None
    since: datetime | None = None
    # Last moment the points in the window still supported the tier held (rolling reviews).
    qualified_at: datetime | None = None
    earned: dict[str, int] = Field(default_factory=dict)


def review_due(program: TierProgram, status: TierStatus, at: datetime) -> datetime | None:
    """When the held tier is next reviewed for a downgrade (None: never)."""
    if program.downgrade == "none" or status.tier is None:
        return None
    grace = timedelta(days=program.grace_days)
    if program.window == "rolling":
        anchor = status.qualified_at or status.since or at
        return anchor + timedelta(days=program.rolling_days) + grace
    end = program.next_period_start(program.period_start(at))
    return program.local_midnight(end) + grace


class TierProgress(BaseModel):
    """What a progress bar shows: where the player stands and what the next tier needs."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    tier: str | None
    tier_name: str | None
    qualifying_points: int
    next_tier: str | None
    next_tier_name: str | None
    points_to_next: int | None
    # Progress from the current tier's minimum to the next one's, 0-100 (100 at the top).
    percent: int
    review_at: datetime | None


def progress(program: TierProgram, status: TierStatus, now: datetime) -> TierProgress:
    """The player's standing in the program at `now`."""
    qualifying = program.qualifying(status.earned, now)
    rank = program.rank(status.tier)
    current = program.tiers[rank] if rank >= 0 else None
    upper = program.tiers[rank + 1] if rank + 1 < len(program.tiers) else None
    if upper is None:
        percent = 100
    else:
        floor = current.min_points if current else 0
        span = max(1, upper.min_points - floor)
        percent = max(0, min(99, (qualifying - floor) * 100 // span))
    return TierProgress(
        tier=current.tier_id if current else None,
        tier_name=current.name if current else None,
        qualifying_points=qualifying,
        next_tier=upper.tier_id if upper else None,
        next_tier_name=upper.name if upper else None,
        points_to_next=max(0, upper.min_points - qualifying) if upper else None,
        percent=percent,
        review_at=review_due(program, status, now) if current else None,
    )
