"""Cold-start check that a time-zone database can be read.

Mission windows, tier periods, leaderboards and RG limits all need `zoneinfo`. Without a
system tz database and without the `tzdata` package, `ZoneInfo("UTC")` itself fails and
every event would land in the DLQ one by one; the function should refuse to start instead.
Called by each handler module at init, never by the pure core.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class TimeZoneDataMissing(RuntimeError):
    """No time-zone database was found: neither the system's nor the tzdata package."""


def require_tz_database() -> None:
    try:
        ZoneInfo.no_cache("UTC")
    except ZoneInfoNotFoundError as exc:
        raise TimeZoneDataMissing(
            "no time-zone database: ZoneInfo('UTC') cannot load. Ship the tzdata package "
            "in the Lambda asset (infra/lambda_code.py) or set PYTHONTZPATH to a tz database"
        ) from exc
