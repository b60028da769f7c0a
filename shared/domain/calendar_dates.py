"""Calendar moments in the player's own time zone: birthdays and anniversaries."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


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


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in `zone`, in UTC: local days are 23 to 25 hours long across DST.

    fold=0: a midnight skipped by DST resolves to the first instant of that day and an
    ambiguous one to its first occurrence, so consecutive days always tile exactly.
    """
    return datetime.combine(day, time(0), zone).astimezone(UTC)
