"""Leaderboards in the pure core: periods, scores, tie-break, late events, prizes, replays."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from events.models import LeaderboardPrize
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState
from shared.domain.game.leaderboards import (
    Leaderboard,
    Window,
    closed_periods,
    parse_sort_key,
    period_at,
    prize_event_id,
    shard_of,
    sort_key,
)
from shared.domain.run.decide import decide_all
from tests.builders import PLAYER, round_

# Monday 2026-03-23 00:00 in Kyiv (UTC+2); clocks go forward on Sunday 29 March.
WEEK_START = datetime(2026, 3, 22, 22, 0, tzinfo=UTC)
IN_WEEK = WEEK_START + timedelta(days=2)

WEEKLY = {
    "board_id": "weekly-wins",
    "name": "Weekly big wins",
    "on": ["game.round_finished"],
    "match": {"event": {"category": ["slots"]}},
    "score": {"kind": "sum", "of": "win_multiplier"},
    "window": {"every": "week", "time_zone": "Europe/Kyiv"},
    "grace": "PT5M",
    "shards": 4,
    "prizes": [
        {"ranks": [1, 1], "then": [{"award_points": {"points": 500}}]},
        {"ranks": [2, 3], "then": [{"award_points": {"points": 100}}]},
    ],
}


def cfg(*boards):
    snapshot = build_config(1, [], [], game_items={"leaderboard": list(boards or [WEEKLY])})
    assert not snapshot.problems, snapshot.problems
    return snapshot


def run(config, *events, state=None, now=IN_WEEK):
    return decide_all(state or PlayerState.new(PLAYER), list(events), config, now)


def prize(rank, period="2026-03-23", event_id=None):
    return LeaderboardPrize(
        player_id=PLAYER,
        event_id=event_id or prize_event_id("weekly-wins", period, PLAYER),
        occurred_at=WEEK_START + timedelta(days=7),
        board_id="weekly-wins",
        period=period,
        rank=rank,
        score=Decimal(10),
    )


# --- periods ----------------------------------------------------------------------------


def test_a_weekly_period_starts_on_local_monday_midnight():
    period = period_at(Window(every="week", time_zone="Europe/Kyiv"), IN_WEEK)
    assert period is not None
    assert period.key == "2026-03-23"
    assert period.start == WEEK_START


def test_a_week_across_the_spring_dst_change_is_167_hours_long():
    period = period_at(Window(every="week", time_zone="Europe/Kyiv"), IN_WEEK)
    assert period is not None
    # Next Monday midnight is UTC+3 (summer time): 21:00 UTC, one hour less than a week.
    assert period.end == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
    assert period.end - period.start == timedelta(hours=167)


def test_an_event_late_on_sunday_local_time_belongs_to_that_week():
    sunday_late = datetime(2026, 3, 29, 20, 59, tzinfo=UTC)  # 23:59 Kyiv summer time
    period = period_at(Window(every="week", time_zone="Europe/Kyiv"), sunday_late)
    assert period is not None
    assert period.key == "2026-03-23"


def test_a_monthly_period_is_the_local_calendar_month():
    period = period_at(Window(every="month", time_zone="UTC"), datetime(2026, 2, 10, tzinfo=UTC))
    assert period is not None
    assert (period.key, period.end) == ("2026-02", datetime(2026, 3, 1, tzinfo=UTC))


def test_a_fixed_window_has_one_period_and_nothing_outside_it():
    window = Window(
        starts_at=datetime(2026, 5, 1, tzinfo=UTC), ends_at=datetime(2026, 5, 3, tzinfo=UTC)
    )
    assert period_at(window, datetime(2026, 5, 2, tzinfo=UTC)) is not None
    assert period_at(window, datetime(2026, 5, 3, tzinfo=UTC)) is None


def test_closed_periods_are_those_past_their_end_plus_grace():
    window = Window(every="day", time_zone="UTC")
    now = datetime(2026, 5, 10, 0, 3, tzinfo=UTC)
    keys = [p.key for p in closed_periods(window, now, timedelta(minutes=5))]
    # 9 May ended 3 minutes ago, within grace: not yet closed.
    assert keys == ["2026-05-06", "2026-05-07", "2026-05-08"]


# --- keys -------------------------------------------------------------------------------


def test_higher_scores_sort_higher():
    t = IN_WEEK
    assert sort_key(Decimal("10.5"), t, "a") > sort_key(Decimal("9.9999"), t, "a")


def test_on_equal_scores_the_earlier_to_reach_it_sorts_higher():
    early = sort_key(Decimal(7), IN_WEEK, "zzz")
    late = sort_key(Decimal(7), IN_WEEK + timedelta(milliseconds=1), "aaa")
    assert early > late


@settings(max_examples=60, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False),
    st.integers(min_value=0, max_value=10**11),
    st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
)
def test_a_sort_key_round_trips(score, ms, player):
    reached = datetime.fromtimestamp(ms / 1000, UTC)
    parsed = parse_sort_key(sort_key(score, reached, player))
    assert (parsed.score, parsed.reached_at, parsed.player_id) == (score, reached, player)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 50), st.integers(0, 5), st.from_regex(r"p[0-9]{1,3}", fullmatch=True)
        ),
        min_size=2,
        max_size=20,
        unique_by=lambda t: t[2],
    )
)
def test_key_order_is_the_ranking_order(entries):
    as_keys = sorted(
        (sort_key(Decimal(s), IN_WEEK + timedelta(seconds=t), p) for s, t, p in entries),
        reverse=True,
    )
    by_rule = sorted(entries, key=lambda e: (-e[0], e[1]))
    ranked = [parse_sort_key(k) for k in as_keys]
    assert [(int(r.score), r.reached_at) for r in ranked] == [
        (s, IN_WEEK + timedelta(seconds=t)) for s, t, _ in by_rule
    ]


def test_a_player_always_lands_in_the_same_shard_within_range():
    assert shard_of("p-1", 16) == shard_of("p-1", 16)
    assert {shard_of(f"p-{i}", 16) for i in range(200)} == set(range(16))


# --- config -----------------------------------------------------------------------------


def test_a_board_with_overlapping_prize_ranks_is_refused_with_the_field():
    bad = {**WEEKLY, "prizes": [WEEKLY["prizes"][0], {**WEEKLY["prizes"][1], "ranks": [1, 3]}]}
    with pytest.raises(ValidationError, match="overlaps"):
        Leaderboard.model_validate(bad)


def test_a_prize_of_proportional_points_is_refused():
    bad = {
        **WEEKLY,
        "prizes": [{"ranks": [1, 1], "then": [{"award_points": {"rate": 1, "of": "stake"}}]}],
    }
    with pytest.raises(ValidationError, match="fixed 'points'"):
        Leaderboard.model_validate(bad)


def test_a_score_field_the_events_lack_is_refused():
    bad = {**WEEKLY, "on": ["player.logged_in"]}
    with pytest.raises(ValidationError, match=r"score\.of"):
        Leaderboard.model_validate(bad)


@pytest.mark.parametrize("field", ["stake", "payout", "win_multiplier"])
def test_a_board_scored_by_a_field_rounds_carry_is_accepted(field):
    # stake and payout are plain fields, win_multiplier a derived one: all three exist.
    board = Leaderboard.model_validate({**WEEKLY, "score": {"kind": "sum", "of": field}})

    assert board.score.of == field


def test_a_bad_stored_board_is_skipped_and_reported_while_others_work():
    snapshot = build_config(
        1, [], [], game_items={"leaderboard": [WEEKLY, {**WEEKLY, "board_id": "x", "shards": 99}]}
    )
    assert list(snapshot.game.leaderboards) == ["weekly-wins"]
    assert "shards" in snapshot.problems[0].reason


# --- scoring ----------------------------------------------------------------------------


def test_matching_events_add_their_win_multiplier_to_the_week():
    d = run(cfg(), round_(IN_WEEK, "2", "10"), round_(IN_WEEK + timedelta(hours=1), "1", "3"))
    score = d.state.boards["weekly-wins#2026-03-23"]
    assert score.score == Decimal(8)
    assert score.reached_at == IN_WEEK + timedelta(hours=1)
    (entry,) = d.board_entries  # one item per board and period in a transaction
    assert entry.score == Decimal(8)
    assert entry.shard == shard_of(PLAYER, 4)


def test_events_the_board_does_not_match_score_nothing():
    d = run(cfg(), round_(IN_WEEK, "2", "10", category="live"))
    assert d.state.boards == {}
    assert d.board_entries == []


def test_a_count_board_counts_events():
    board = {**WEEKLY, "score": {"kind": "count"}, "match": None}
    d = run(cfg(board), round_(IN_WEEK), round_(IN_WEEK, category="live"))
    assert d.state.boards["weekly-wins#2026-03-23"].score == 2


def test_a_max_board_keeps_the_best_single_value_and_when_it_was_reached():
    board = {**WEEKLY, "score": {"kind": "max", "of": "win_multiplier"}}
    d = run(
        cfg(board),
        round_(IN_WEEK, "1", "20"),
        round_(IN_WEEK + timedelta(hours=1), "1", "5"),
    )
    score = d.state.boards["weekly-wins#2026-03-23"]
    assert (score.score, score.reached_at) == (Decimal(20), IN_WEEK)


def test_a_late_event_of_a_closed_period_is_ignored_and_traced():
    after_close = WEEK_START + timedelta(days=7, minutes=10)
    d = run(cfg(), round_(IN_WEEK, "1", "5"), now=after_close)
    assert d.state.boards == {}
    assert d.board_entries == []
    assert any("late event for closed period" in line.text for line in d.trace)


def test_a_late_event_within_grace_still_counts():
    d = run(cfg(), round_(IN_WEEK, "1", "5"), now=datetime(2026, 3, 29, 21, 3, tzinfo=UTC))
    assert d.state.boards["weekly-wins#2026-03-23"].score == 5


def test_a_new_week_starts_from_zero_and_old_weeks_are_pruned_later():
    first = run(cfg(), round_(IN_WEEK, "1", "5"))
    later = IN_WEEK + timedelta(days=60)
    d = run(cfg(), round_(later, "1", "2"), state=first.state, now=later)
    assert list(d.state.boards) == ["weekly-wins#2026-05-18"]


# --- prizes -----------------------------------------------------------------------------


def test_a_prize_event_pays_its_rank_s_prize():
    played = run(cfg(), round_(IN_WEEK, "1", "5"))
    d = run(cfg(), prize(1), state=played.state, now=WEEK_START + timedelta(days=8))
    assert [line.points for line in d.ledger] == [500]
    assert d.state.boards["weekly-wins#2026-03-23"].prize_rank == 1


def test_a_second_prize_event_for_the_same_period_pays_nothing():
    played = run(cfg(), round_(IN_WEEK, "1", "5"))
    paid = run(cfg(), prize(2), state=played.state, now=WEEK_START + timedelta(days=8))
    again = run(cfg(), prize(2, event_id="other-id"), state=paid.state)
    assert again.ledger == []
    assert any("already paid" in line.text for line in again.trace)


def test_a_rank_without_a_prize_gets_nothing():
    d = run(cfg(), prize(4))
    assert d.ledger == []


def test_replaying_the_same_events_gives_the_same_board_entries():
    events = [round_(IN_WEEK, "2", "10"), round_(IN_WEEK + timedelta(minutes=3), "1", "2")]
    assert run(cfg(), *events).board_entries == run(cfg(), *reversed(events)).board_entries


def test_given_only_zero_scores_when_scored_then_the_player_gets_no_entry():
    from decimal import Decimal

    from events.models import RoundFinished
    from shared.domain.core.state import PlayerState
    from shared.domain.run.decide import decide
    from tests.builders import config

    board = {
        "board_id": "wins",
        "name": "Wins",
        "on": ["game.round_finished"],
        "score": {"kind": "sum", "of": "win_multiplier"},
        "window": {"every": "week", "time_zone": "UTC"},
    }
    cfg = config(game={"leaderboard": [board]})
    lost = RoundFinished(
        player_id="p-1",
        event_id="r-1",
        occurred_at="2026-11-24T09:00:00+00:00",
        round_id="r-1",
        game_id="g",
        category="slots",
        stake=Decimal(1),
        payout=Decimal(0),
        currency="EUR",
    )

    d = decide(PlayerState.new("p-1"), lost, cfg, lost.occurred_at)

    assert d.board_entries == []
    assert d.state.boards == {}
