"""The replay's virtual clock: timers, re-arms, cancels, derived events, shared budgets."""

from __future__ import annotations

from datetime import timedelta

from shared.backtest.history import History
from shared.backtest.outcome import Tally
from shared.backtest.replay import run
from tests.builders import NUDGE_RULES, T0, at, config, deposit, logged_in, registered

UNTIL = T0 + timedelta(days=10)


def _tally(history: History, snapshot, until=UNTIL) -> Tally:
    tally = Tally(T0)
    run(history.players, snapshot, until, observer=tally)
    return tally


def test_a_timer_fires_at_its_due_time_and_its_condition_is_checked_then():
    history = History.of([registered(T0)])

    tally = _tally(history, config(*NUDGE_RULES))

    assert tally.sends_by_template == {("hello", "email"): 1}
    assert tally.sends_per_day == {((T0 + timedelta(days=3)).date(), "email"): 1}


def test_a_timer_not_yet_due_when_the_window_ends_does_not_fire():
    history = History.of([registered(T0)])

    tally = _tally(history, config(*NUDGE_RULES), until=T0 + timedelta(days=2))

    assert tally.sends_by_template == {}


def test_a_cancelled_timer_never_fires():
    history = History.of([registered(T0), deposit(at(days=1))])

    tally = _tally(history, config(*NUDGE_RULES))

    assert tally.sends_by_template == {}
    assert tally.points_by_rule == {"points": 50}


def test_a_re_armed_timer_fires_once_at_its_latest_due_time():
    rearm = {
        "rule_id": "idle",
        "on": ["player.logged_in"],
        "then": [
            {
                "schedule": {
                    "timer": "idle-2d",
                    "after": "P2D",
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    }
    history = History.of([registered(T0), logged_in(at(hours=1)), logged_in(at(days=1))])

    tally = _tally(history, config(rearm))

    assert sum(tally.sends_by_template.values()) == 1
    assert list(tally.sends_per_day) == [((T0 + timedelta(days=3)).date(), "email")]


def test_a_duplicate_event_is_applied_once():
    again = deposit(at(hours=2), event_id="dep-twice")
    history = History.of([registered(T0), again, again])

    tally = _tally(history, config(*NUDGE_RULES))

    assert tally.points_by_rule == {"points": 50}


def test_a_derived_event_comes_back_to_the_player_and_its_rule_acts_on_it():
    tiers = {
        "program_id": "vip",
        "window": "rolling",
        "rolling_days": 365,
        "tiers": [
            {"tier_id": "bronze", "name": "Bronze", "min_points": 1},
            {"tier_id": "gold", "name": "Gold", "min_points": 100},
        ],
    }
    celebrate = {
        "rule_id": "celebrate",
        "on": ["engage.tier.changed"],
        "match": {"event": {"tier": ["gold"]}},
        "then": [{"send": {"template": "hello"}}],
    }
    points = NUDGE_RULES[2]
    snapshot = config(points, celebrate, game={"tiers": [tiers]})
    history = History.of([registered(T0), deposit(at(hours=1), "500")])

    tally = _tally(history, snapshot)

    assert tally.tier_moves == {"- -> gold": 1}
    assert tally.sends_by_rule["celebrate"] == 1


def _budgeted(campaign: int) -> dict[str, object]:
    return {
        "rule_id": "deposit-bonus",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"points": 100}}],
        "budget": {"unit": "points", "campaign": campaign},
    }


def test_a_campaign_budget_shared_by_players_runs_out_when_it_would_have_live():
    events = [registered(T0, player=f"p-{i}") for i in range(4)]
    events += [deposit(at(hours=1 + i), player=f"p-{i}") for i in range(4)]
    history = History.of(events)

    tally = _tally(history, config(_budgeted(250)))

    # Deposits come one hour apart across players: the first two fit, the third does not.
    assert tally.points_by_rule == {"deposit-bonus": 200}
    assert tally.suppressions["budget_campaign"] == 2
    assert tally.budget_exhausted == {"deposit-bonus": at(hours=3)}


def test_steps_before_the_counting_window_warm_state_up_but_are_not_counted():
    history = History.of([registered(T0), deposit(at(hours=1)), deposit(at(days=2))])
    tally = Tally(T0 + timedelta(days=1))

    run(history.players, config(*NUDGE_RULES), UNTIL, observer=tally)

    assert tally.points_by_rule == {"points": 50}
    assert tally.players_seen == {"p-1"}
