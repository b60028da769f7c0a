"""Responsible gaming: exclusions, behavioural flags, and the one gate every offer passes.

`gate()` is the single policy function. The engine consults it when it decides (points,
marketing sends) and dispatch consults it again just before sending, so an exclusion that
arrives between decision and delivery still stops the message. It is a hard gate, not a
segment filter a marketer could forget: no rule can opt out of it.

The flag heuristics are deliberately simple, documented and configurable
(`RgThresholds`, stored as config item policy/rg); docs/responsible-gaming.md explains them
and what they cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from events.models import (
    CoolOffStarted,
    DepositSucceeded,
    EventDetail,
    ExclusionEnded,
    LimitReached,
    LimitSet,
    RoundFinished,
    SelfExcluded,
)
from shared.domain.basics.calendar_dates import iso_days_before, local_moment
from shared.domain.basics.model_update import updated

GateClass = Literal["service_message", "marketing_message", "bonus"]
FLAG_NAMES = ("loss_chasing", "deposit_frequency", "net_loss", "long_session", "late_night_play")


class RgThresholds(BaseModel):
    """Tunable thresholds for the behavioural flags (config item `policy/rg`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    loss_chasing_streak: int = Field(default=3, ge=1, le=100)
    loss_chasing_minutes: int = Field(default=30, ge=1, le=24 * 60)
    deposits_per_day: int = Field(default=5, ge=2, le=100)
    net_loss_window_days: int = Field(default=7, ge=1, le=90)
    net_loss_amount: Decimal = Field(default=Decimal("1000"), gt=0)
    long_session_minutes: int = Field(default=180, ge=15, le=24 * 60)
    session_gap_minutes: int = Field(default=30, ge=1, le=24 * 60)
    late_night_start_hour: int = Field(default=0, ge=0, le=23)
    late_night_end_hour: int = Field(default=5, ge=1, le=24)
    late_night_rounds: int = Field(default=20, ge=1, le=10_000)
    flag_hold_days: int = Field(default=7, ge=1, le=365)
    audit_retention_days: int = Field(default=730, ge=30, le=3650)


class Exclusion(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["self_exclusion", "cool_off"]
    since: datetime
    until: datetime | None  # None: indefinite
    event_id: str

    def covers(self, when: datetime) -> bool:
        return self.since <= when and (self.until is None or when < self.until)


class RgFlag(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    name: str
    raised_at: datetime
    stands_until: datetime
    reason: str
    inputs: dict[str, str]

    def stands(self, when: datetime) -> bool:
        return self.raised_at <= when < self.stands_until


class RgStatus(BaseModel):
    """RG facts kept on the player's state (event-time driven, like the profile)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    exclusions: list[Exclusion] = Field(default_factory=list)
    limits: dict[str, str] = Field(default_factory=dict)
    limit_reached_at: dict[str, datetime] = Field(default_factory=dict)
    flags: dict[str, RgFlag] = Field(default_factory=dict)
    # Behaviour tracking, pruned to what the thresholds can still use.
    recent_deposits: list[datetime] = Field(default_factory=list)
    last_loss_at: datetime | None = None
    session_start: datetime | None = None
    session_last: datetime | None = None
    daily_net: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    night_rounds: dict[str, int] = Field(default_factory=dict)

    def exclusion_at(self, when: datetime) -> Exclusion | None:
        return next((e for e in self.exclusions if e.covers(when)), None)


class Verdict(NamedTuple):  # a tuple: asked before every offer, built in a fraction
    allowed: bool
    reason: str | None = None


_ALLOWED = Verdict(True)


def gate(status: RgStatus, what: GateClass, at: Iterable[datetime]) -> Verdict:
    """May this happen at these times? Service messages always may; offers may not while
    the player is excluded or cooling off, or while a behavioural flag stands."""
    if what == "service_message":
        return _ALLOWED
    for when in at:
        exclusion = status.exclusion_at(when)
        if exclusion is not None:
            until = exclusion.until.isoformat() if exclusion.until else "indefinitely"
            label = "self-excluded" if exclusion.kind == "self_exclusion" else "cooling off"
            return Verdict(False, f"{label} until {until}")
        for flag in status.flags.values():
            if flag.stands(when):
                return Verdict(
                    False, f"rg flag {flag.name} stands until {flag.stands_until.isoformat()}"
                )
    return _ALLOWED


def salvaged_event_id(original_event_id: str) -> str:
    """Id for an exclusion applied from a malformed event; the corrected event replaces it."""
    return f"salvaged.{original_event_id}"[:256]


class Observation(NamedTuple):  # a tuple: one per decision
    status: RgStatus
    raised: Sequence[RgFlag]
    excluded_now: Exclusion | None = None


# The events the RG status folds; any other leaves it as it was.
_OBSERVED = (
    SelfExcluded,
    CoolOffStarted,
    ExclusionEnded,
    LimitSet,
    LimitReached,
    DepositSucceeded,
    RoundFinished,
)


def observe(
    status: RgStatus,
    event: EventDetail,
    *,
    loss_streak_before: int,
    time_zone: str | None,
    thresholds: RgThresholds,
    in_place: bool = False,
) -> Observation:
    """Fold one event into the RG status; report flags newly raised (not already standing).

    The input is not modified. The result is a new status with new containers for what
    the event changes, sharing the rest with the input (the fields nobody changes in
    place: this module replaces a container rather than change it), or the input itself
    for an event RG does not fold. Building the changes first and the status once is a
    fraction of copying every container and then assigning field by field. With
    `in_place` (a decision made in place) the changes are set on `status` itself.
    """
    if not isinstance(event, _OBSERVED):
        return Observation(status=status, raised=())
    t = event.occurred_at
    if t.tzinfo is not UTC:  # usually UTC already: no copy made
        t = t.astimezone(UTC)
    changes: dict[str, Any] = {}
    candidates: list[tuple[str, str, dict[str, str]]] = []
    excluded_now: Exclusion | None = None
    match event:  # rounds first: most events are rounds
        case RoundFinished():
            candidates = _observe_round(status, event, t, time_zone, thresholds, changes)
        case SelfExcluded() | CoolOffStarted():
            kind: Literal["self_exclusion", "cool_off"] = (
                "self_exclusion" if isinstance(event, SelfExcluded) else "cool_off"
            )
            excluded_now = Exclusion(kind=kind, since=t, until=event.until, event_id=event.event_id)
            # The corrected version of a malformed event replaces what was salvaged from it.
            stand_in = salvaged_event_id(event.event_id)
            changes["exclusions"] = [
                e
                for e in status.exclusions
                if (e.until is None or e.until > t) and e.event_id != stand_in
            ] + [excluded_now]
        case ExclusionEnded():
            # Ends exclusions that started before it; a later exclusion stays in force.
            changes["exclusions"] = [
                e.model_copy(update={"until": t}) if e.since <= t and e.covers(t) else e
                for e in status.exclusions
            ]
        case LimitSet():
            changes["limits"] = {
                **status.limits,
                event.kind: (
                    f"{event.minutes} min per {event.period}"
                    if event.minutes
                    else f"{event.amount} {event.currency} per {event.period}"
                ),
            }
        case LimitReached():
            changes["limit_reached_at"] = {**status.limit_reached_at, event.kind: t}
        case DepositSucceeded():
            recent = [d for d in status.recent_deposits if d > t - timedelta(days=1)] + [t]
            changes["recent_deposits"] = recent
            if len(recent) >= thresholds.deposits_per_day:
                candidates.append(
                    (
                        "deposit_frequency",
                        f"{len(recent)} deposits within 24 hours",
                        {"deposits_24h": str(len(recent))},
                    )
                )
            last_loss = status.last_loss_at
            if (
                last_loss is not None
                and loss_streak_before >= thresholds.loss_chasing_streak
                and timedelta(0)
                <= t - last_loss
                <= timedelta(minutes=thresholds.loss_chasing_minutes)
            ):
                minutes = int((t - last_loss).total_seconds() // 60)
                candidates.append(
                    (
                        "loss_chasing",
                        f"deposit {minutes} min after {loss_streak_before} losses in a row",
                        {
                            "loss_streak": str(loss_streak_before),
                            "minutes_since_loss": str(minutes),
                        },
                    )
                )
    raised = []
    if candidates:
        flags = changes["flags"] = dict(status.flags)
        hold = timedelta(days=thresholds.flag_hold_days)
        for name, reason, inputs in candidates:
            existing = flags.get(name)
            if existing is not None and existing.stands(t):
                # Still standing: extend it quietly, one alert per raise, not per event.
                flags[name] = existing.model_copy(
                    update={"stands_until": max(existing.stands_until, t + hold)}
                )
            else:
                flag = RgFlag(
                    name=name, raised_at=t, stands_until=t + hold, reason=reason, inputs=inputs
                )
                flags[name] = flag
                raised.append(flag)
    return Observation(
        status=updated(status, changes, in_place), raised=raised, excluded_now=excluded_now
    )


_ZERO = Decimal(0)


@lru_cache(maxsize=64)  # two thresholds, asked on every round
def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _observe_round(
    s: RgStatus,
    event: RoundFinished,
    t: datetime,
    time_zone: str | None,
    th: RgThresholds,
    changes: dict[str, Any],
) -> list[tuple[str, str, dict[str, str]]]:
    """A round's flags; what it changes in `s` goes into `changes` (s itself is not touched)."""
    found: list[tuple[str, str, dict[str, str]]] = []
    stake, payout = event.stake, event.payout
    if payout < stake:  # a loss (the event's `outcome`, without the computed property)
        last_loss = s.last_loss_at
        changes["last_loss_at"] = t if last_loss is None or t > last_loss else last_loss

    # Net loss over a window of local calendar days, per currency. (The event's own time,
    # not `t`, its UTC copy: the instant the rest of the decision asks local_moment about.)
    moment = local_moment(event.occurred_at, time_zone)
    key = moment.iso
    currency = event.currency
    held = s.daily_net
    bucket = held.get(key)
    if bucket is None:
        bucket = {currency: _ZERO + stake - payout}  # as Decimal(0) + ... always was
    else:
        bucket = {**bucket, currency: bucket.get(currency, _ZERO) + stake - payout}
    daily_net = {**held, key: bucket}
    # ISO dates (YYYY-MM-DD) order as their text does: compared as strings, not parsed.
    oldest = iso_days_before(moment.day, th.net_loss_window_days - 1)
    if min(daily_net) < oldest:
        daily_net = {d: v for d, v in daily_net.items() if d >= oldest}
    changes["daily_net"] = daily_net
    net = _ZERO
    for amounts in daily_net.values():  # a loop: a generator per round costs more
        amount = amounts.get(currency)
        if amount is not None:
            net += amount
    if net >= th.net_loss_amount:
        found.append(
            (
                "net_loss",
                f"net loss {net} {currency} over {th.net_loss_window_days} days",
                {
                    "net_loss": str(net),
                    "currency": currency,
                    "days": str(th.net_loss_window_days),
                },
            )
        )

    # Sessions: rounds closer together than the gap belong to one session.
    gap = _minutes(th.session_gap_minutes)
    start, last = s.session_start, s.session_last
    if last is None or t - last > gap or t < (start or t):
        start = changes["session_start"] = t
    last = changes["session_last"] = t if last is None or t > last else last
    length = last - (start or t)
    if length >= _minutes(th.long_session_minutes):
        found.append(
            (
                "long_session",
                f"session of {int(length.total_seconds() // 60)} min",
                {"session_minutes": str(int(length.total_seconds() // 60))},
            )
        )

    # Late-night play in the player's own time zone.
    if th.late_night_start_hour <= moment.hour < th.late_night_end_hour:
        rounds = s.night_rounds.get(key, 0) + 1
        changes["night_rounds"] = {key: rounds}
        if rounds >= th.late_night_rounds:
            found.append(
                (
                    "late_night_play",
                    f"{rounds} rounds between {th.late_night_start_hour:02d}:00 "
                    f"and {th.late_night_end_hour:02d}:00 local time",
                    {"rounds": str(rounds), "local_date": key},
                )
            )
    return found
