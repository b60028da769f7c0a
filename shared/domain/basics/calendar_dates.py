"""Calendar moments in the player's own time zone: birthdays, anniversaries, local days,
weeks and months."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


# Asked several times per decision (the player's zone, a program's, a board's): cached, so
# a call is one dict lookup instead of ZoneInfo's constructor and its own cache.
@lru_cache(maxsize=256)
def zone(time_zone: str | None) -> ZoneInfo:
    """The zone of that name; UTC for none or for a name this machine's tz data lacks."""
    try:
        return ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_local_occurrence(
    month: int, day: int, local_time: str, zone: ZoneInfo, after: datetime
) -> datetime:
    """The first `month-day local_time` in `zone` strictly after `after`, in UTC.

    29 February is celebrated on 28 February in common years. Local wall-clock time is
    kept across DST changes, so 09:00 in Kyiv is 07:00 UTC in summer and 06:00 in winter.
    """
    hour, minute = (int(part) for part in local_time.split(":"))
    local_after = after.astimezone(zone)
    for year in range(local_after.year, local_after.year + 3):
        last_day = calendar.monthrange(year, month)[1]
        moment = datetime.combine(date(year, month, min(day, last_day)), time(hour, minute), zone)
        if moment > local_after:
            return moment.astimezone(UTC)
    raise ValueError("no occurrence within three years")  # unreachable for valid dates


# Pure, and asked for the same few days over and over (each event's day, its week...):
# cached, as the zone's own transitions are.
@lru_cache(maxsize=4096)
def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in `zone`, in UTC: local days are 23 to 25 hours long across DST.

    fold=0: a midnight skipped by DST resolves to the first instant of that day and an
    ambiguous one to its first occurrence, so consecutive days always tile exactly.
    """
    return datetime.combine(day, time(0), zone).astimezone(UTC)


class LocalMoment(NamedTuple):  # a tuple: built once per decision, cheaply
    """An instant as the player's wall clock shows it: the local datetime, its date, that
    date as ISO text (YYYY-MM-DD, which orders as the dates do), weekday and hour."""

    local: datetime
    day: date
    iso: str
    weekday: int
    hour: int


_last_moment: list[tuple[datetime, str | None, LocalMoment]] = []


def local_moment(at: datetime, time_zone: str | None) -> LocalMoment:
    """`at` in the player's zone (UTC for none). A decision asks this of its event several
    times (RG, activity, RFM): the last answer is kept, so only the first converts."""
    if _last_moment:
        last_at, last_zone, found = _last_moment[0]
        # Callers pass the event's own `occurred_at`, so identity is the usual hit: comparing
        # two aware datetimes with different tzinfo objects costs a utcoffset() call each.
        if last_zone == time_zone and (last_at is at or last_at == at):
            return found  # the same instant: the same local time
    local = at.astimezone(zone(time_zone))
    day = local.date()
    found = LocalMoment(local, day, day.isoformat(), day.weekday(), local.hour)
    _last_moment[:] = [(at, time_zone, found)]
    return found


@lru_cache(maxsize=4096)
def iso_days_before(day: date, days: int) -> str:
    """The ISO date `days` days before `day` (a window's oldest day, compared as text)."""
    return (day - timedelta(days=days)).isoformat()


CalendarPeriod = Literal["day", "week", "month"]


def calendar_window(
    kind: CalendarPeriod, at: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime, str]:
    """The calendar window holding `at` in `tz`: (start, end) in UTC and a period key (the
    local start date). Weeks start on Monday; local midnights are DST-correct."""
    return _window_of_day(kind, at.astimezone(tz).date(), tz)


@lru_cache(maxsize=4096)
def _window_of_day(
    kind: CalendarPeriod, local: date, tz: ZoneInfo
) -> tuple[datetime, datetime, str]:
    if kind == "day":
        first, after = local, local + timedelta(days=1)
    elif kind == "week":
        first = local - timedelta(days=local.weekday())
        after = first + timedelta(days=7)
    else:
        first = local.replace(day=1)
        after = first + timedelta(days=calendar.monthrange(first.year, first.month)[1])
    return local_midnight(first, tz), local_midnight(after, tz), first.isoformat()


BudgetPeriod = Literal["none", "day", "week", "month"]


def budget_period_key(period: BudgetPeriod, at: datetime, zone: ZoneInfo) -> str:
    """The budget period `at` falls in, as a stable key, in the local calendar of `zone`:
    the day, the ISO week, the month, or "all" for a budget that never resets."""
    local = at.astimezone(zone).date()
    if period == "day":
        return local.isoformat()
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    return "all"
