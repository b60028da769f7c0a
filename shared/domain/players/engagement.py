"""Lifecycle stage, RFM score and time-limited offers: engagement facts kept per player.

Lifecycle: new -> active -> at_risk -> lapsed -> reactivated (-> active). It is driven
by per-player *sliding* timers, never by a scan of all players. One timer per player
waits for "N days after the last activity". When it fires early, because the player was
active meanwhile, it re-arms itself at last_activity + N. An active player therefore costs
about one scheduled invocation every N days, not one schedule update per login.

RFM (documented in docs/segments-and-lifecycle.md): recency = whole days since the last
activity, frequency = active local days in the window, monetary = deposits in the window,
each scored 1..5 against the policy's thresholds. `churn_risk` follows from them.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.domain.basics.calendar_dates import iso_days_before, local_moment

Stage = Literal["new", "active", "at_risk", "lapsed", "reactivated"]
LIFECYCLE_RULE = "lifecycle"
AT_RISK_TIMER = "lifecycle-at-risk"
LAPSED_TIMER = "lifecycle-lapsed"
# Player-initiated events; engine-made ones (timers, alerts) are not activity.
ACTIVITY_TYPES = frozenset(
    {
        "player.registered",
        "player.logged_in",
        "wallet.deposit_succeeded",
        "game.round_finished",
        "shop.purchase",
        "shop.cart_abandoned",
        "survey.answered",
    }
)

SPENDING_TYPES = frozenset({"wallet.deposit_succeeded", "shop.purchase"})


class EngagementPolicy(BaseModel):
    """Thresholds for lifecycle and RFM (config item `policy/engagement`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    # Off: no lifecycle stages or timers (RFM and activity facts are still kept).
    lifecycle: bool = True
    at_risk_days: int = Field(default=10, ge=1, le=365)
    lapsed_days: int = Field(default=30, ge=2, le=730)
    window_days: int = Field(default=30, ge=7, le=365)
    # Score 5 at or under the first value, 4 under the second, ...; 1 beyond the last.
    recency_days: tuple[int, int, int, int] = (1, 3, 7, 14)
    # Score 5 at or over the first value, ...; 1 below the last.
    frequency_days: tuple[int, int, int, int] = (15, 8, 4, 2)
    monetary: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal(1000),
        Decimal(250),
        Decimal(50),
        Decimal("0.01"),
    )


class Offer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    multiplier: Decimal
    opened_at: datetime
    until: datetime

    def open_at(self, when: datetime) -> bool:
        return self.opened_at <= when < self.until


class Rfm(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    r: int
    f: int
    m: int
    score: int
    recency_days: int
    frequency: int
    monetary: Decimal
    churn_risk: Literal["low", "medium", "high"]


class Engagement(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    stage: Stage | None = None
    stage_since: datetime | None = None
    last_activity_at: datetime | None = None
    # Local ISO dates with activity, ascending and distinct: record_activity keeps them so,
    # and a stored state is put so when read (rfm counts a window of them by bisection).
    active_days: list[str] = Field(default_factory=list)
    spend_days: dict[str, Decimal] = Field(default_factory=dict)
    weekend_rounds: int = 0
    offers: dict[str, Offer] = Field(default_factory=dict)
    # As of the last player-initiated event or lifecycle timer. A replay that never shows
    # the state (decide's `display_facts` off) leaves it as it was unless a condition reads it.
    rfm: Rfm | None = None

    @field_validator("active_days")
    @classmethod
    def _ascending(cls, days: list[str]) -> list[str]:
        return sorted(set(days))

    def multiplier_at(self, when: datetime) -> tuple[Decimal, str | None]:
        """The best open offer's points multiplier at `when` (1 if none)."""
        best, name = Decimal(1), None
        for offer_name, offer in sorted(self.offers.items()):
            if offer.open_at(when) and offer.multiplier > best:
                best, name = offer.multiplier, offer_name
        return best, name


@dataclass(frozen=True)
class Command:
    """What the lifecycle wants done: arm/cancel a timer, or move to a stage."""

    kind: Literal["arm", "cancel", "stage"]
    timer: str = ""
    due_at: datetime | None = None
    stage: Stage | None = None


def record_activity(
    e: Engagement,
    detail_type: str,
    t: datetime,
    time_zone: str | None,
    policy: EngagementPolicy,
    spent: Decimal | None,
    is_round: bool,
) -> None:
    """Fold a player-initiated event into the engagement facts (in place)."""
    moment = local_moment(t, time_zone)
    # ISO dates (YYYY-MM-DD) order as their text does: compared as strings, not parsed.
    oldest = iso_days_before(moment.day, policy.window_days - 1)
    today = moment.iso
    days = e.active_days
    if days and days[0] >= oldest and days[-1] <= today:
        # The usual case, a player active again today or on a new day: nothing to prune.
        if days[-1] != today:
            days.append(today)  # the decision's own list (state_copy.py)
    else:
        kept = {d for d in days if d >= oldest}
        kept.add(today)
        e.active_days = sorted(kept)
    if spent is not None:
        e.spend_days[today] = e.spend_days.get(today, Decimal(0)) + spent
    if e.spend_days and min(e.spend_days) < oldest:
        e.spend_days = {d: v for d, v in e.spend_days.items() if d >= oldest}
    if is_round and moment.weekday >= 5:
        e.weekend_rounds += 1
    if e.last_activity_at is None or t > e.last_activity_at:
        e.last_activity_at = t
    if e.offers and any(o.until <= t for o in e.offers.values()):
        e.offers = {k: o for k, o in e.offers.items() if o.until > t}


def _arm_at_risk(e: Engagement, t: datetime, policy: EngagementPolicy) -> Command:
    # Only when a stage moves: an active player's events arm nothing (nor compute this).
    return Command(
        "arm", AT_RISK_TIMER, (e.last_activity_at or t) + timedelta(days=policy.at_risk_days)
    )


def lifecycle_on_activity(
    e: Engagement, detail_type: str, t: datetime, policy: EngagementPolicy, has_spent: bool
) -> list[Command]:
    """Stage moves and timers caused by a player-initiated event."""
    if e.stage is None:
        # The first activity we see starts the clock, whatever the event was.
        return [Command("stage", stage="new"), _arm_at_risk(e, t, policy)]
    if e.stage in ("at_risk", "lapsed"):
        return [
            Command("stage", stage="reactivated"),
            Command("cancel", LAPSED_TIMER),
            _arm_at_risk(e, t, policy),
        ]
    if e.stage == "new" and has_spent:
        return [Command("stage", stage="active")]
    if e.stage == "reactivated" and e.stage_since and t - e.stage_since >= timedelta(days=7):
        return [Command("stage", stage="active")]
    # Active players re-arm nothing here: the at-risk timer slides when it fires.
    return []


def lifecycle_on_timer(
    e: Engagement, timer: str, fired_at: datetime, policy: EngagementPolicy
) -> list[Command]:
    """A lifecycle timer fired: slide it if the player was active since, else move on."""
    last = e.last_activity_at or fired_at
    if timer == AT_RISK_TIMER:
        due = last + timedelta(days=policy.at_risk_days)
        if due > fired_at:
            return [Command("arm", AT_RISK_TIMER, due)]
        return [
            Command("stage", stage="at_risk"),
            Command("arm", LAPSED_TIMER, last + timedelta(days=policy.lapsed_days)),
        ]
    if timer == LAPSED_TIMER:
        due = last + timedelta(days=policy.lapsed_days)
        if due > fired_at:
            return [Command("arm", LAPSED_TIMER, due)]
        return [Command("stage", stage="lapsed")]
    return []


def rfm(e: Engagement, t: datetime, time_zone: str | None, policy: EngagementPolicy) -> Rfm:
    """Recency, frequency, monetary at time `t`, each 1..5; score is their sum (3..15)."""
    recency = (
        math.floor((t - e.last_activity_at).total_seconds() / 86400)
        if e.last_activity_at is not None
        else 10_000
    )
    moment = local_moment(t, time_zone)
    # ISO dates compared as their text (see record_activity).
    oldest, local_day = iso_days_before(moment.day, policy.window_days - 1), moment.iso
    days = e.active_days  # ascending (Engagement.active_days)
    frequency = bisect_right(days, local_day) - bisect_left(days, oldest)
    monetary = Decimal(0)
    for d, v in e.spend_days.items():
        if oldest <= d <= local_day:
            monetary += v
    # Plain loops: a few limits each, and a generator per sum cost more than the counting.
    r, f, m = 5, 1, 1
    for limit in policy.recency_days:
        if recency > limit:
            r -= 1
    for limit in policy.frequency_days:
        if frequency >= limit:
            f += 1
    for money in policy.monetary:
        if monetary >= money:
            m += 1
    # High risk: used to come often, has gone quiet. Medium: going quiet.
    churn: Literal["low", "medium", "high"] = (
        "high" if r <= 2 and f >= 3 else "medium" if r <= 3 else "low"
    )
    known = e.rfm
    if (
        known is not None
        and (known.r, known.f, known.m) == (r, f, m)
        and known.recency_days == recency
        and known.frequency == frequency
        and str(known.monetary) == str(monetary)
    ):
        return known  # the same facts as last time (frozen: safe to share)
    return Rfm(
        r=r,
        f=f,
        m=m,
        score=r + f + m,
        recency_days=recency,
        frequency=frequency,
        monetary=monetary,
        churn_risk=churn,
    )
