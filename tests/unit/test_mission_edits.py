"""What editing a live mission does to players' progress (docs/missions.md, "Edits")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from events.models import PlayerProfileUpdated
from shared.domain.game.missions import percent
from tests.builders import PLAYER, at, logged_in, round_
from tests.unit.test_missions import WEEK_END, cfg, completions, explorer, mission, run

KEY = "games:distinct:game_id"


def two_games() -> Any:
    """A player with 2 of the 3 games of this week's explorer run."""
    return run(cfg(explorer()), round_(at(minutes=1), game="a"), round_(at(minutes=2), game="b"))


def test_text_edits_and_a_version_bump_keep_progress():
    before = two_games()
    edited = cfg(explorer(name="Globetrotter", description="new copy", version=2))
    d = run(edited, round_(at(minutes=3), game="c"), state=before.state)
    assert d.state.missions["explorer"].completed_at is not None
    assert completions(d)[0]["mission_version"] == 2


def test_a_raised_target_keeps_the_count_and_lowers_the_percentage():
    before = two_games()
    edited = cfg(explorer(steps=[{**explorer()["steps"][0], "target": 4}]))
    assert percent(mission(edited), before.state.missions["explorer"]) == 50
    d = run(edited, round_(at(minutes=3), game="c"), state=before.state)
    assert d.state.missions["explorer"].steps[KEY].n == 3
    assert d.state.missions["explorer"].completed_at is None


def test_a_target_lowered_to_the_count_completes_on_the_players_next_event_of_any_kind():
    before = two_games()
    edited = cfg(explorer(steps=[{**explorer()["steps"][0], "target": 2}]))
    d = run(edited, logged_in(at(minutes=3)), state=before.state)
    assert d.state.missions["explorer"].completed_at == at(minutes=3)
    assert d.state.points_balance == 50


def test_an_added_step_starts_at_zero_and_the_existing_step_keeps_its_count():
    before = two_games()
    steps = [*explorer()["steps"], {"step_id": "login", "on": ["player.logged_in"]}]
    edited = cfg(explorer(steps=steps))
    d = run(edited, round_(at(minutes=3), game="c"), state=before.state)
    progress = d.state.missions["explorer"]
    assert progress.steps[KEY].n == 3
    assert progress.completed_at is None
    assert percent(mission(edited), progress) == 50


def test_a_removed_step_no_longer_holds_completion_back():
    steps = [*explorer()["steps"], {"step_id": "login", "on": ["player.logged_in"]}]
    with_login = cfg(explorer(steps=steps))
    d = run(with_login, *(round_(at(minutes=i), game=f"g{i}") for i in range(3)))
    assert d.state.missions["explorer"].completed_at is None
    d = run(cfg(explorer()), round_(at(minutes=5)), state=d.state)
    assert d.state.missions["explorer"].completed_at == at(minutes=5)


def test_a_changed_condition_keeps_what_was_counted_under_the_old_one():
    before = two_games()
    step = {**explorer()["steps"][0], "match": {"event": {"category": ["live"]}}}
    d = run(cfg(explorer(steps=[step])), round_(at(minutes=3), game="c"), state=before.state)
    assert d.state.missions["explorer"].steps[KEY].n == 2  # slots round no longer counts
    d = run(
        cfg(explorer(steps=[step])),
        round_(at(minutes=4), game="d", category="live"),
        state=d.state,
    )
    assert d.state.missions["explorer"].completed_at is not None


def test_a_step_measuring_something_else_counts_afresh_and_a_revert_restores_the_old_count():
    before = two_games()
    recount = {"step_id": "games", "on": ["game.round_finished"], "target": 3}
    d = run(cfg(explorer(steps=[recount])), round_(at(minutes=3), game="a"), state=before.state)
    assert d.state.missions["explorer"].steps["games"].n == 1
    assert d.state.missions["explorer"].steps[KEY].n == 2  # kept, not discarded
    d = run(cfg(explorer()), round_(at(minutes=4), game="c"), state=d.state)
    assert d.state.missions["explorer"].completed_at is not None


def test_a_once_mission_made_weekly_carries_its_counts_into_the_first_weekly_run():
    once = cfg(explorer(window={"kind": "once"}, recurring=False))
    d = run(once, round_(at(minutes=1), game="a"), round_(at(minutes=2), game="b"))
    d = run(cfg(explorer()), round_(at(minutes=3), game="c"), state=d.state)
    assert d.state.missions["explorer"].period == "2026-11-23"
    assert d.state.missions["explorer"].completed_at is not None


def test_an_expiry_moved_later_mid_run_keeps_the_run_going():
    soon = cfg(explorer(ends_at=at(hours=1).isoformat()))
    d = run(soon, round_(at(minutes=1), game="a"), round_(at(minutes=2), game="b"))
    later = cfg(explorer(ends_at=at(days=3).isoformat()))
    d = run(later, round_(at(hours=2), game="c"), state=d.state)
    assert d.state.missions["explorer"].completed_at == at(hours=2)


def test_moving_west_extends_this_weeks_run_to_the_new_local_monday_and_pays_once():
    before = two_games()
    moved = PlayerProfileUpdated(
        player_id=PLAYER, event_id="tz", occurred_at=at(minutes=3), time_zone="America/New_York"
    )
    # Monday 00:01 in Kyiv is still Sunday in New York: the same week, the same run.
    late = [round_(WEEK_END + timedelta(minutes=i), game=f"g{i}") for i in (1, 2)]
    d = run(cfg(explorer()), moved, *late, state=before.state)
    progress = d.state.missions["explorer"]
    assert progress.period == "2026-11-23"
    assert progress.ends_at == WEEK_END + timedelta(hours=7)  # Monday 00:00 in New York
    assert progress.completions == 1
    assert len(completions(d)) == 1


def test_a_run_keeps_its_window_when_the_player_moves_east():
    before = two_games()
    moved = PlayerProfileUpdated(
        player_id=PLAYER, event_id="tz", occurred_at=at(minutes=3), time_zone="Asia/Tokyo"
    )
    # Monday 06:00 in Tokyo is 23:00 Sunday in Kyiv: still this run, which the event ends.
    d = run(cfg(explorer()), moved, round_(WEEK_END - timedelta(hours=1)), state=before.state)
    assert d.state.missions["explorer"].period == "2026-11-23"
    assert d.state.missions["explorer"].completed_at is not None
