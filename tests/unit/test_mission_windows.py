"""Mission windows follow the player's own calendar, across DST changes (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import PlayerRegistered
from shared.domain.basics.calendar_dates import calendar_window
from shared.domain.core.state import PlayerState
from shared.domain.run.decide import decide_all
from tests.builders import PLAYER, round_
from tests.unit.test_missions import cfg, completions, explorer

# Santiago skips local midnight when DST starts: the week then starts at 01:00.
ZONES = ["Europe/Kyiv", "America/New_York", "America/Santiago", "Australia/Sydney"]
# Spans the 2026 spring and autumn DST changes on both hemispheres.
instants = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)
)


def starts_a_local_day(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    before = (moment - timedelta(seconds=1)).astimezone(tz)
    return local.time() <= time(1) and before.date() < local.date()


@settings(max_examples=300, deadline=None)
@given(at=instants, zone=st.sampled_from(ZONES))
def test_a_week_window_holds_the_instant_and_runs_from_local_monday_to_local_monday(
    at: datetime, zone: str
):
    tz = ZoneInfo(zone)
    start, end, period = calendar_window("week", at, tz)
    assert start <= at < end
    assert start.astimezone(tz).weekday() == 0
    assert starts_a_local_day(start, tz)
    assert end.astimezone(tz).weekday() == 0
    assert starts_a_local_day(end, tz)
    assert period == start.astimezone(tz).date().isoformat()
    # 7 local days: 168 hours, one less or more when the week holds a DST change.
    assert timedelta(hours=167) <= end - start <= timedelta(hours=169)
    # Windows tile: the next one starts exactly where this one ends.
    assert calendar_window("week", end, tz)[0] == end


@settings(max_examples=200, deadline=None)
@given(at=instants, zone=st.sampled_from(ZONES), kind=st.sampled_from(["day", "month"]))
def test_day_and_month_windows_hold_the_instant_and_tile(at: datetime, zone: str, kind: str):
    tz = ZoneInfo(zone)
    start, end, _ = calendar_window(kind, at, tz)  # type: ignore[arg-type]
    assert start <= at < end
    assert starts_a_local_day(start, tz)
    assert starts_a_local_day(end, tz)
    if kind == "month":
        assert start.astimezone(tz).day == 1
    else:
        assert start.astimezone(tz).date() == at.astimezone(tz).date()
    assert calendar_window(kind, end, tz)[0] == end  # type: ignore[arg-type]


# Rounds in the four weeks around Europe's and America's autumn DST change (Oct 25, Nov 1).
round_times = st.lists(
    st.tuples(
        st.datetimes(
            min_value=datetime(2026, 10, 19),
            max_value=datetime(2026, 11, 9),
            timezones=st.just(UTC),
        ),
        st.sampled_from(["a", "b", "c", "d"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rounds=round_times, zone=st.sampled_from(["Europe/Kyiv", "America/New_York"]))
def test_the_weekly_mission_completes_once_per_local_week_with_three_games(
    rounds: list[tuple[datetime, str]], zone: str
):
    tz = ZoneInfo(zone)
    reg = PlayerRegistered(
        player_id=PLAYER,
        event_id="reg",
        occurred_at=datetime(2026, 10, 1, tzinfo=UTC),
        time_zone=zone,
        locale="en",
        country="UA",
    )
    events = [round_(t, game=g, event_id=f"r{i}") for i, (t, g) in enumerate(rounds)]
    d = decide_all(PlayerState.new(PLAYER), [reg, *events], cfg(explorer()), events[0].occurred_at)
    # The oracle: group by the ISO week of the local date, independently of the engine.
    games: dict[tuple[int, int], set[str]] = defaultdict(set)
    for t, g in rounds:
        games[t.astimezone(tz).isocalendar()[:2]].add(g)
    expected = sorted(
        (
            datetime.fromisocalendar(y, w, 1).date().isoformat()
            for (y, w), s in games.items()
            if len(s) >= 3
        )
    )
    assert sorted(c["period"] for c in completions(d)) == expected
