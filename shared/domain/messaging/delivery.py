"""Delivery policy: frequency caps, quiet hours, duplicate suppression (pure).

Caps and quiet hours apply to *marketing* messages only; service messages (security,
account, transactions, support) always go at once. Days and weeks are counted in the
player's own time zone. A player whose time zone is unknown gets a wider, safe quiet
window instead of a guessed one.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.basics.calendar_dates import zone

Channel = Literal["email", "sms", "push", "inbox"]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
LOG_DAYS = 8  # long enough for a weekly cap counted in any time zone


def _daily() -> dict[Channel, int]:
    return {"email": 2, "sms": 1, "push": 2, "inbox": 3}


def _weekly() -> dict[Channel, int]:
    return {"email": 5, "sms": 2, "push": 7, "inbox": 10}


def _interruptive() -> list[Channel]:
    # Interruptive channels only by default: an email waits in the inbox anyway.
    return ["sms", "push"]


class QuietHours(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    start: HHMM = "21:00"
    end: HHMM = "09:00"


class DeliveryPolicy(BaseModel):
    """Config item `policy/delivery`."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    max_per_day: int = Field(default=3, ge=0, le=100)
    max_per_week: int = Field(default=10, ge=0, le=500)
    per_channel_per_day: dict[Channel, int] = Field(default_factory=_daily)
    per_channel_per_week: dict[Channel, int] = Field(default_factory=_weekly)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    quiet_channels: list[Channel] = Field(default_factory=_interruptive)
    # Unknown time zone: assume the widest plausible night rather than UTC's.
    unknown_zone_quiet_hours: QuietHours = Field(
        default_factory=lambda: QuietHours(start="18:00", end="11:00")
    )
    # The same template to the same player on the same channel within this window is a
    # duplicate (a rule that fires twice, a replayed campaign) and is suppressed.
    duplicate_window_hours: int = Field(default=24, ge=0, le=24 * 30)


class SentRecord(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    at: datetime
    channel: Channel
    template: str
    category: Literal["marketing", "service"]


class DeliveryLog(BaseModel):
    """Recent sends, enough to enforce the caps and the duplicate window."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    sent: list[SentRecord] = Field(default_factory=list)

    def record(self, record: SentRecord) -> None:
        horizon = record.at - timedelta(days=LOG_DAYS)
        self.sent = [r for r in self.sent if r.at > horizon] + [record]


def _local(t: datetime, time_zone: str | None) -> datetime:
    return t.astimezone(zone(time_zone))


def _week_start(local: datetime) -> datetime:
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0, 0), local.tzinfo)


def cap_reason(
    log: DeliveryLog, channel: Channel, t: datetime, time_zone: str | None, policy: DeliveryPolicy
) -> str | None:
    """Why a marketing message on `channel` at `t` would break a frequency cap, or None."""
    local = _local(t, time_zone)
    day_start = datetime.combine(local.date(), time(0, 0), local.tzinfo)
    week_start = _week_start(local)
    marketing = [r for r in log.sent if r.category == "marketing"]
    today = [r for r in marketing if r.at >= day_start]
    week = [r for r in marketing if r.at >= week_start]
    checks = [
        (len(today), policy.max_per_day, "per day"),
        (len(week), policy.max_per_week, "per week"),
        (
            sum(r.channel == channel for r in today),
            policy.per_channel_per_day.get(channel, policy.max_per_day),
            f"{channel} per day",
        ),
        (
            sum(r.channel == channel for r in week),
            policy.per_channel_per_week.get(channel, policy.max_per_week),
            f"{channel} per week",
        ),
    ]
    for count, limit, label in checks:
        if count >= limit:
            return f"frequency cap {limit} {label} reached"
    return None


def next_cap_reset(t: datetime, time_zone: str | None, reason: str) -> datetime:
    """When a capped message may be tried again: next local midnight or next Monday."""
    local = _local(t, time_zone)
    if "per week" in reason:
        return (_week_start(local) + timedelta(days=7)).astimezone(UTC)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), local.tzinfo).astimezone(UTC)


def quiet_until(
    channel: Channel, t: datetime, time_zone: str | None, policy: DeliveryPolicy
) -> datetime | None:
    """End of the quiet window `t` falls in (UTC), or None if `t` is not quiet."""
    if channel not in policy.quiet_channels:
        return None
    known = time_zone is not None and zone(time_zone).key == time_zone
    window = policy.quiet_hours if known else policy.unknown_zone_quiet_hours
    tz: ZoneInfo = zone(time_zone) if known else ZoneInfo("UTC")
    local = t.astimezone(tz)
    start = time.fromisoformat(window.start)
    end = time.fromisoformat(window.end)
    now = local.time()
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return None
    end_day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tz).astimezone(UTC)


def duplicate_of(
    log: DeliveryLog, channel: Channel, template: str, t: datetime, policy: DeliveryPolicy
) -> SentRecord | None:
    if policy.duplicate_window_hours == 0:
        return None
    since = t - timedelta(hours=policy.duplicate_window_hours)
    return next(
        (r for r in log.sent if r.channel == channel and r.template == template and r.at > since),
        None,
    )
