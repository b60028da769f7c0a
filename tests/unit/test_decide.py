"""The pure decision: points, sends, timers, limits, consent, replay determinism."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.domain.authoring.rules import Rule
from shared.domain.core.state import (
    CancelTimer,
    PlayerState,
    ScheduleTimer,
    SendMessage,
    schedule_name,
)
from shared.domain.run.decide import decide, decide_all
from tests.builders import (
    NUDGE_RULES,
    PLAYER,
    T0,
    at,
    config,
    deposit,
    fired,
    logged_in,
    registered,
    round_,
)

NOW = T0


def run(cfg, *events, state=None, now=NOW):
    return decide_all(state or PlayerState.new(PLAYER), list(events), cfg, now)


def test_fixed_points_are_awarded_with_a_ledger_line_that_matches_the_balance():
    cfg = config(
        {"rule_id": "p", "on": ["player.logged_in"], "then": [{"award_points": {"points": 10}}]}
    )
    d = run(cfg, logged_in(at(hours=1)))
    assert d.state.points_balance == 10
    assert [(e.points, e.balance_after) for e in d.ledger] == [(10, 10)]


def test_proportional_points_round_down_and_stay_exact():
    cfg = config(
        {
            "rule_id": "p",
            "on": ["wallet.deposit_succeeded"],
            "then": [{"award_points": {"rate": "0.1", "of": "amount"}}],
        }
    )
    d = run(cfg, deposit(at(), "99.99"))
    assert d.state.points_balance == 9


def test_conditions_see_the_profile_after_the_event_is_applied():
    cfg = config(
        {
            "rule_id": "first",
            "on": ["wallet.deposit_succeeded"],
            "match": {"player": {"deposit_count": [1]}},
            "then": [{"award_points": {"points": 100}}],
        }
    )
    d = run(cfg, deposit(at(hours=1)), deposit(at(hours=2)))
    assert d.state.points_balance == 100


def test_a_once_per_day_limit_counts_by_event_time():
    cfg = config(
        {
            "rule_id": "daily",
            "on": ["player.logged_in"],
            "then": [{"award_points": {"points": 10}}],
            "limit": {"per_player": 1, "period": "P1D"},
        }
    )
    d = run(cfg, logged_in(at(hours=1)), logged_in(at(hours=5)), logged_in(at(hours=25, minutes=1)))
    assert d.state.points_balance == 20
    assert any("limit (1 per P1D) is reached" in str(t) for t in d.trace)


def daily_login(limit):
    return config(
        {
            "rule_id": "daily",
            "on": ["player.logged_in"],
            "then": [{"award_points": {"points": 10}}],
            "limit": limit,
        }
    )


KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


def test_given_a_calendar_day_limit_then_21h_and_08h_next_morning_both_earn():
    # Given a player in Kyiv (registered() sets Europe/Kyiv)
    cfg = daily_login({"per_player": 1, "per": "day"})

    # When they log in at 21:00, 23:30 and at 08:00 the next local day
    d = run(
        cfg,
        registered(kyiv(2026, 11, 23, 20, 0)),
        logged_in(kyiv(2026, 11, 23, 21, 0)),
        logged_in(kyiv(2026, 11, 23, 23, 30)),
        logged_in(kyiv(2026, 11, 24, 8, 0)),
    )

    # Then each local day earns once
    assert d.state.points_balance == 20
    assert any("limit (1 per day in Europe/Kyiv) is reached" in str(t) for t in d.trace)


def test_given_a_rolling_day_limit_then_21h_and_08h_next_morning_earn_once():
    cfg = daily_login({"per_player": 1, "period": "P1D"})

    d = run(
        cfg,
        registered(kyiv(2026, 11, 23, 20, 0)),
        logged_in(kyiv(2026, 11, 23, 21, 0)),
        logged_in(kyiv(2026, 11, 24, 8, 0)),
    )

    assert d.state.points_balance == 10


def test_the_calendar_day_is_the_players_local_day_not_utc():
    # 23:30 and 00:30 Kyiv time are the same UTC day (21:30, 22:30 UTC) but two local days.
    cfg = daily_login({"per_player": 1, "per": "day"})

    d = run(
        cfg,
        registered(kyiv(2026, 11, 23, 20, 0)),
        logged_in(kyiv(2026, 11, 23, 23, 30)),
        logged_in(kyiv(2026, 11, 24, 0, 30)),
    )

    assert d.state.points_balance == 20


def test_a_calendar_week_limit_starts_on_the_local_monday():
    cfg = daily_login({"per_player": 1, "per": "week"})

    d = run(
        cfg,
        registered(kyiv(2026, 11, 22, 10, 0)),
        logged_in(kyiv(2026, 11, 22, 23, 0)),  # Sunday
        logged_in(kyiv(2026, 11, 23, 0, 10)),  # Monday: a new week
        logged_in(kyiv(2026, 11, 29, 23, 0)),  # Sunday of that week
    )

    assert d.state.points_balance == 20


def test_a_limit_with_both_a_calendar_and_a_rolling_window_is_refused_with_the_field():
    rule = {
        "rule_id": "daily",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": 10}}],
        "limit": {"per_player": 1, "per": "day", "period": "P1D"},
    }

    with pytest.raises(ValidationError, match="per: give a calendar 'per'") as refused:
        Rule.model_validate(rule)
    assert refused.value.errors()[0]["loc"] == ("limit",)


def test_a_lifetime_limit_keeps_only_what_it_needs_in_state():
    cfg = config(
        {
            "rule_id": "once",
            "on": ["player.logged_in"],
            "then": [{"award_points": {"points": 1}}],
            "limit": {"per_player": 1},
        }
    )
    d = run(cfg, *(logged_in(at(hours=h)) for h in range(5)))
    assert d.state.points_balance == 1
    assert len(d.state.rule_fires["once"]) == 1


def test_a_service_message_is_sent_without_marketing_consent():
    cfg = config(
        {"rule_id": "w", "on": ["player.registered"], "then": [{"send": {"template": "welcome"}}]}
    )
    d = run(cfg, registered(at(), consent=False))
    assert [o.effect.template for o in d.outbox] == ["welcome"]


def test_a_marketing_message_is_suppressed_without_consent_and_the_reason_recorded():
    cfg = config(
        {"rule_id": "m", "on": ["player.registered"], "then": [{"send": {"template": "hello"}}]}
    )
    d = run(cfg, registered(at(), consent=False))
    assert d.outbox == []
    assert any("suppressed, no email consent" in str(t) for t in d.trace)
    assert [(a.category, a.reason) for a in d.audit] == [
        ("suppression", "send hello by email: no email consent")
    ]


def test_a_message_to_a_player_without_an_address_is_suppressed():
    cfg = config(
        {"rule_id": "w", "on": ["player.registered"], "then": [{"send": {"template": "welcome"}}]}
    )
    d = run(cfg, registered(at(), email=None))
    assert d.outbox == []


def test_a_send_carries_only_the_allowed_template_variables():
    cfg = config(
        {"rule_id": "w", "on": ["player.registered"], "then": [{"send": {"template": "welcome"}}]}
    )
    effect = run(cfg, registered(at())).outbox[0].effect
    assert isinstance(effect, SendMessage)
    assert effect.vars["first_name"] == "Anna"
    assert "email" not in effect.vars


def test_scheduling_arms_a_timer_due_after_the_event_time():
    d = run(config(*NUDGE_RULES), registered(at()))
    (item,) = d.outbox
    assert isinstance(item.effect, ScheduleTimer)
    assert item.effect.due_at == at(days=3)
    assert item.effect.schedule_name == schedule_name(PLAYER, "no-deposit")
    assert d.state.timers["no-deposit"].generation == 1


def test_a_late_event_never_schedules_a_timer_in_the_past():
    d = run(config(*NUDGE_RULES), registered(at()), now=at(days=10))
    effect = d.outbox[0].effect
    assert effect.due_at == at(days=3)
    assert effect.fire_at == at(days=10, minutes=1)


def test_a_deposit_cancels_the_pending_nudge():
    d = run(config(*NUDGE_RULES), registered(at()), deposit(at(days=1)))
    assert d.state.timers == {}
    assert isinstance(d.outbox[-2].effect, CancelTimer) or any(
        isinstance(o.effect, CancelTimer) for o in d.outbox
    )


def test_cancelling_a_timer_that_is_not_pending_writes_nothing():
    d = run(config(*NUDGE_RULES), deposit(at()))
    assert not any(isinstance(o.effect, CancelTimer) for o in d.outbox)


def test_a_fired_timer_whose_condition_still_holds_runs_its_actions():
    cfg = config(*NUDGE_RULES)
    state = run(cfg, registered(at())).state
    d = decide(state, fired(at(days=3), "no-deposit", "nudge", 1), cfg, at(days=3))
    assert [o.effect.template for o in d.outbox] == ["hello"]
    assert d.state.timers == {}


def test_a_fired_timer_whose_condition_stopped_holding_does_nothing():
    cfg = config(
        {**NUDGE_RULES[0]},
        {
            "rule_id": "pts",
            "on": ["wallet.deposit_succeeded"],
            "then": [{"award_points": {"points": 1}}],
        },
    )
    state = run(cfg, registered(at()), deposit(at(days=1))).state  # deposit without cancel rule
    d = decide(state, fired(at(days=3), "no-deposit", "nudge", 1), cfg, at(days=3))
    assert d.outbox == []
    assert any("condition no longer holds" in str(t) for t in d.trace)


def test_a_stale_timer_fire_from_an_older_generation_is_ignored():
    cfg = config(*NUDGE_RULES)
    state = run(cfg, registered(at()), registered(at(hours=1))).state  # re-armed: generation 2
    d = decide(state, fired(at(days=3), "no-deposit", "nudge", 1), cfg, at(days=3))
    assert d.outbox == []
    assert "no-deposit" in d.state.timers


def test_a_timer_fire_after_cancel_is_ignored():
    cfg = config(*NUDGE_RULES)
    state = run(cfg, registered(at()), deposit(at(days=1))).state
    d = decide(state, fired(at(days=3), "no-deposit", "nudge", 1), cfg, at(days=3))
    assert d.outbox == []
    assert d.ledger == []


def test_re_arming_keeps_exactly_one_pending_timer_with_a_new_generation():
    cfg = config(*NUDGE_RULES)
    d = run(cfg, registered(at()), registered(at(hours=1)))
    assert list(d.state.timers) == ["no-deposit"]
    assert d.state.timers["no-deposit"].generation == 2


def test_events_are_applied_in_event_time_order_whatever_the_arrival_order():
    cfg = config()
    late_first = run(
        cfg, round_(at(minutes=3), payout="5"), round_(at(minutes=1)), round_(at(minutes=2))
    )
    assert late_first.state.profile.win_streak == 1
    assert late_first.state.profile.loss_streak == 0


def test_ids_are_deterministic_so_a_replayed_decision_writes_the_same_keys():
    cfg = config(*NUDGE_RULES)
    events = [registered(at(), event_id="r"), deposit(at(days=1), event_id="d")]
    first, second = run(cfg, *events), run(cfg, *events)
    assert [e.entry_id for e in first.ledger] == [e.entry_id for e in second.ledger]
    assert [o.outbox_id for o in first.outbox] == [o.outbox_id for o in second.outbox]


def test_the_input_state_is_never_mutated():
    cfg = config(*NUDGE_RULES)
    state = PlayerState.new(PLAYER)
    decide(state, registered(at()), cfg, NOW)
    assert state.timers == {}
    assert state.points_balance == 0


# --- properties -----------------------------------------------------------------------------

POINT_RULES = config(
    *NUDGE_RULES,
    {
        "rule_id": "login",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": 7}}],
        "limit": {"per_player": 2, "period": "P1D"},
    },
    {
        "rule_id": "loss",
        "on": ["game.round_finished"],
        "match": {"player": {"loss_streak": [{"numeric": [">=", 3]}]}},
        "then": [{"award_points": {"points": 3}}],
    },
)

event_kind = st.sampled_from(["login", "deposit", "round_loss", "round_win", "register"])
sequences = st.lists(
    st.tuples(event_kind, st.integers(min_value=0, max_value=60 * 24 * 10)), max_size=40
)


def build(kind, minute):
    when = T0 + timedelta(minutes=minute)
    return {
        "login": lambda: logged_in(when),
        "deposit": lambda: deposit(when, "12.5"),
        "round_loss": lambda: round_(when),
        "round_win": lambda: round_(when, payout="4"),
        "register": lambda: registered(when),
    }[kind]()


@settings(max_examples=200, deadline=None)
@given(sequences)
def test_balance_always_equals_the_sum_of_the_ledger_and_is_never_negative(seq):
    d = run(POINT_RULES, *(build(k, m) for k, m in seq))
    assert d.state.points_balance == sum(e.points for e in d.ledger) >= 0
    if d.ledger:
        assert d.ledger[-1].balance_after == d.state.points_balance


@settings(max_examples=100, deadline=None)
@given(sequences, st.randoms(use_true_random=False))
def test_the_outcome_does_not_depend_on_arrival_order_within_a_batch(seq, rnd):
    events = [build(k, m) for k, m in seq]
    shuffled = events[:]
    rnd.shuffle(shuffled)
    a, b = run(POINT_RULES, *events), run(POINT_RULES, *shuffled)
    assert a.state == b.state
    assert sorted(o.outbox_id for o in a.outbox) == sorted(o.outbox_id for o in b.outbox)


@settings(max_examples=100, deadline=None)
@given(sequences)
def test_there_is_never_more_than_one_pending_timer_per_name(seq):
    d = run(POINT_RULES, *(build(k, m) for k, m in seq))
    arms = [o.effect for o in d.outbox if isinstance(o.effect, ScheduleTimer)]
    cancels = [o.effect for o in d.outbox if isinstance(o.effect, CancelTimer)]
    assert len(d.state.timers) <= 1
    assert len(arms) - len(cancels) - (1 if d.state.timers else 0) >= 0
