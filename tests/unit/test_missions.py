"""Missions: counters, steps, windows, recurrence, expiry, opt-in, reward once, edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from events.models import MissionJoined, SelfExcluded
from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.state import PlayerState, PublishEvent
from shared.domain.game.missions import Mission, percent
from shared.domain.run.decide import decide_all
from tests.builders import PLAYER, T0, at, deposit, logged_in, registered, round_, template

# T0 is Tuesday 2026-11-24 09:00 UTC = 11:00 in Kyiv (UTC+2), the player's time zone.
WEEK_END = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # Monday 30 Nov 00:00 in Kyiv


def explorer(**overrides: Any) -> dict[str, Any]:
    """Weekly: play 3 different games; 50 points."""
    body: dict[str, Any] = {
        "mission_id": "explorer",
        "name": "Explorer",
        "steps": [
            {
                "step_id": "games",
                "on": ["game.round_finished"],
                "counter": "distinct",
                "field": "game_id",
                "target": 3,
            }
        ],
        "window": {"kind": "week"},
        "recurring": True,
        "reward": [{"award_points": {"points": 50}}],
    }
    body.update(overrides)
    return body


def cfg(*missions: dict[str, Any], rules: tuple[dict[str, Any], ...] = ()) -> ConfigSnapshot:
    snapshot = build_config(
        1,
        list(rules),
        [template("hello")],
        [{"policy_id": "engagement", "lifecycle": False}],
        game_items={"mission": list(missions), "badge": [{"badge_id": "star", "name": "Star"}]},
    )
    assert not snapshot.problems, snapshot.problems
    return snapshot


def player() -> PlayerState:
    d = decide_all(PlayerState.new(PLAYER), [registered(T0 - timedelta(days=30))], cfg(), T0)
    return d.state


def run(config: ConfigSnapshot, *events: Any, state: PlayerState | None = None) -> Any:
    return decide_all(state or player(), list(events), config, T0)


def completions(d: Any) -> list[dict[str, Any]]:
    return [
        o.effect.detail
        for o in d.outbox
        if isinstance(o.effect, PublishEvent) and o.effect.detail_type == "engage.mission.completed"
    ]


def mission(config: ConfigSnapshot, mission_id: str = "explorer") -> Mission:
    return config.game.missions[mission_id]


# --- counters -----------------------------------------------------------------------------


def test_distinct_counter_counts_each_game_once_and_completes_on_the_third_game():
    c = cfg(explorer())
    d = run(
        c,
        round_(at(minutes=1), game="book"),
        round_(at(minutes=2), game="book"),
        round_(at(minutes=3), game="reels"),
    )
    assert d.state.missions["explorer"].completed_at is None
    assert percent(mission(c), d.state.missions["explorer"]) == 66
    d = run(c, round_(at(minutes=4), game="crash"), state=d.state)
    assert d.state.missions["explorer"].completed_at == at(minutes=4)
    assert percent(mission(c), d.state.missions["explorer"]) == 100
    assert [e.points for e in d.ledger] == [50]
    assert completions(d)[0]["period"] == "2026-11-23"


def test_distinct_values_are_forgotten_once_the_target_is_reached():
    c = cfg(explorer())
    d = run(c, *(round_(at(minutes=i), game=f"g{i}") for i in range(3)))
    assert d.state.missions["explorer"].steps["games:distinct:game_id"].seen == []


def test_sum_counter_adds_stakes_and_completes_when_the_total_reaches_the_target():
    c = cfg(
        explorer(
            steps=[
                {
                    "step_id": "wager",
                    "on": ["game.round_finished"],
                    "counter": "sum",
                    "field": "stake",
                    "target": "10",
                }
            ]
        )
    )
    d = run(c, round_(at(minutes=1), stake="4.5"), round_(at(minutes=2), stake="4.5"))
    assert percent(mission(c), d.state.missions["explorer"]) == 90
    d = run(c, round_(at(minutes=3), stake="1"), state=d.state)
    assert d.state.missions["explorer"].completed_at is not None


def test_count_step_only_counts_events_its_pattern_matches():
    c = cfg(
        explorer(
            steps=[
                {
                    "step_id": "slots",
                    "on": ["game.round_finished"],
                    "match": {"event": {"category": ["slots"]}},
                    "target": 2,
                }
            ]
        )
    )
    d = run(c, round_(at(minutes=1), category="live"), round_(at(minutes=2), category="slots"))
    assert d.state.missions["explorer"].steps["slots"].n == 1


# --- steps ---------------------------------------------------------------------------------

TWO_STEPS = [
    {"step_id": "deposit", "on": ["wallet.deposit_succeeded"]},
    {"step_id": "play", "on": ["game.round_finished"], "target": 2},
]


def test_sequential_steps_do_not_count_a_later_step_before_the_earlier_one_is_done():
    c = cfg(explorer(steps=TWO_STEPS, order="sequence"))
    d = run(c, round_(at(minutes=1)), deposit(at(minutes=2)), round_(at(minutes=3)))
    progress = d.state.missions["explorer"]
    assert progress.steps["play"].n == 1
    assert progress.completed_at is None


def test_any_order_steps_count_in_whatever_order_they_happen():
    c = cfg(explorer(steps=TWO_STEPS))
    d = run(c, round_(at(minutes=1)), round_(at(minutes=2)), deposit(at(minutes=3)))
    assert d.state.missions["explorer"].completed_at == at(minutes=3)


def test_progress_percent_is_the_mean_of_capped_step_shares():
    c = cfg(explorer(steps=TWO_STEPS))
    d = run(c, round_(at(minutes=1)), round_(at(minutes=2)), round_(at(minutes=3)))
    # play 2/2 (capped at 100%), deposit 0/1 -> 50%
    assert percent(mission(c), d.state.missions["explorer"]) == 50


# --- windows, recurrence, expiry -----------------------------------------------------------


def test_a_weekly_run_ends_at_the_players_local_monday_midnight():
    c = cfg(explorer())
    d = run(c, round_(at(minutes=1)))
    assert d.state.missions["explorer"].ends_at == WEEK_END


def test_progress_does_not_carry_into_the_next_week():
    c = cfg(explorer())
    d = run(
        c,
        round_(WEEK_END - timedelta(minutes=2), game="a"),
        round_(WEEK_END - timedelta(minutes=1), game="b"),
        round_(WEEK_END, game="c"),
    )
    progress = d.state.missions["explorer"]
    assert progress.period == "2026-11-30"
    assert progress.steps["games:distinct:game_id"].n == 1


def test_a_recurring_mission_completes_and_pays_again_in_the_next_window():
    c = cfg(explorer())
    week1 = [round_(at(minutes=i), game=f"g{i}") for i in range(3)]
    week2 = [round_(WEEK_END + timedelta(minutes=i), game=f"g{i}") for i in range(3)]
    d = run(c, *week1, *week2)
    assert d.state.missions["explorer"].completions == 2
    assert [x["period"] for x in completions(d)] == ["2026-11-23", "2026-11-30"]
    assert d.state.points_balance == 100


def test_a_non_recurring_calendar_mission_completes_only_once():
    c = cfg(explorer(recurring=False))
    week1 = [round_(at(minutes=i), game=f"g{i}") for i in range(3)]
    week2 = [round_(WEEK_END + timedelta(minutes=i), game=f"g{i}") for i in range(3)]
    d = run(c, *week1, *week2)
    assert d.state.missions["explorer"].completions == 1
    assert d.state.points_balance == 50


def test_a_rolling_window_lasts_n_days_from_the_first_counted_event():
    c = cfg(explorer(window={"kind": "rolling", "days": 2}))
    d = run(c, round_(at(minutes=1), game="a"), round_(at(days=2, minutes=1), game="b"))
    progress = d.state.missions["explorer"]
    assert progress.starts_at == at(days=2, minutes=1)
    assert progress.steps["games:distinct:game_id"].n == 1


def test_events_after_a_mission_expires_count_for_nothing():
    c = cfg(explorer(ends_at=at(hours=1).isoformat()))
    d = run(c, round_(at(minutes=1), game="a"), round_(at(hours=2), game="b"))
    assert d.state.missions["explorer"].steps["games:distinct:game_id"].n == 1


def test_events_before_a_mission_starts_count_for_nothing():
    c = cfg(explorer(starts_at=at(hours=1).isoformat(), window={"kind": "once"}, recurring=False))
    d = run(c, round_(at(minutes=1), game="a"))
    assert "explorer" not in d.state.missions


def test_a_late_event_from_a_past_window_is_not_counted_in_the_current_run():
    c = cfg(explorer())
    d = run(c, round_(WEEK_END + timedelta(hours=1), game="a"))
    d = run(c, round_(WEEK_END - timedelta(hours=1), game="b"), state=d.state)
    progress = d.state.missions["explorer"]
    assert progress.period == "2026-11-30"
    assert progress.steps["games:distinct:game_id"].n == 1


# --- opt-in --------------------------------------------------------------------------------


def joined(when: datetime, mission_id: str = "explorer") -> MissionJoined:
    return MissionJoined(
        player_id=PLAYER,
        event_id=f"join-{when.isoformat()}",
        occurred_at=when,
        mission_id=mission_id,
    )


def test_an_opt_in_mission_counts_nothing_before_the_player_joins():
    c = cfg(explorer(enrollment="opt_in"))
    d = run(c, round_(at(minutes=1), game="a"), joined(at(minutes=2)), round_(at(minutes=3)))
    assert d.state.missions["explorer"].steps["games:distinct:game_id"].n == 1


def test_a_rule_can_opt_the_player_in():
    rule = {
        "rule_id": "join-on-login",
        "on": ["player.logged_in"],
        "then": [{"join_mission": {"mission": "explorer"}}],
    }
    c = cfg(explorer(enrollment="opt_in"), rules=(rule,))
    d = run(c, logged_in(at(minutes=1)), round_(at(minutes=2)))
    assert d.state.missions["explorer"].joined_at == at(minutes=1)
    assert d.state.missions["explorer"].steps["games:distinct:game_id"].n == 1


def test_a_rule_joining_an_unknown_or_automatic_mission_is_refused_as_a_config_problem():
    rule = {
        "rule_id": "join",
        "on": ["player.logged_in"],
        "then": [{"join_mission": {"mission": "explorer"}}],
    }
    snapshot = build_config(1, [rule], [], game_items={"mission": [explorer()]})
    assert "is automatic, not opt-in" in str(snapshot.problems[0])


def test_joining_twice_keeps_the_first_join_time():
    c = cfg(explorer(enrollment="opt_in"))
    d = run(c, joined(at(minutes=1)), joined(at(minutes=2)))
    assert d.state.missions["explorer"].joined_at == at(minutes=1)


# --- once only: replays, rewards -----------------------------------------------------------


def test_more_events_after_completion_in_the_same_window_never_pay_again():
    c = cfg(explorer())
    d = run(c, *(round_(at(minutes=i), game=f"g{i}") for i in range(6)))
    assert len(completions(d)) == 1
    assert d.state.points_balance == 50


def test_the_completion_event_and_reward_ids_are_the_same_when_decided_again():
    c = cfg(explorer())
    events = [round_(at(minutes=i), game=f"g{i}") for i in range(3)]
    first, second = run(c, *events), run(c, *events)
    assert [o.outbox_id for o in first.outbox] == [o.outbox_id for o in second.outbox]
    assert [e.entry_id for e in first.ledger] == [e.entry_id for e in second.ledger]
    assert completions(first)[0]["event_id"] == f"mission.explorer.2026-11-23.{PLAYER}"


def test_a_badge_reward_is_granted_on_completion():
    c = cfg(explorer(reward=[{"grant_badge": {"badge": "star"}}]))
    d = run(c, *(round_(at(minutes=i), game=f"g{i}") for i in range(3)))
    assert "star" in d.state.badges


def test_a_self_excluded_player_completes_but_gets_no_bonus_points():
    c = cfg(explorer())
    excluded = SelfExcluded(player_id=PLAYER, event_id="se", occurred_at=at())
    d = run(c, excluded, *(round_(at(minutes=i + 1), game=f"g{i}") for i in range(3)))
    assert d.state.missions["explorer"].completed_at is not None
    assert d.state.points_balance == 0


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"steps": [{"step_id": "s", "on": ["game.round_finished"], "counter": "sum"}]}, "field"),
        (
            {
                "steps": [
                    {
                        "step_id": "s",
                        "on": ["game.round_finished"],
                        "counter": "sum",
                        "field": "game_id",
                    }
                ]
            },
            "not a number",
        ),
        ({"window": {"kind": "once"}}, "recurring"),
        ({"reward": [{"award_points": {"rate": "1", "of": "amount"}}]}, "fixed 'points'"),
        ({"steps": [{"step_id": "s", "on": ["nope"]}]}, "unknown detail-type"),
        ({"steps": [{"step_id": "s", "on": ["game.round_finished"], "match": {"x": 1}}]}, "match"),
    ],
)
def test_an_invalid_mission_is_refused_naming_the_field(change: dict[str, Any], where: str):
    with pytest.raises(ValidationError, match=where):
        Mission.model_validate(explorer(**change))
