"""Segments, lifecycle (sliding timers), RFM, offers, calendar timers and the inbox channel."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.domain.basics.calendar_dates import next_local_occurrence
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState, PublishEvent, ScheduleTimer, SendMessage
from shared.domain.players.engagement import AT_RISK_TIMER, LAPSED_TIMER, LIFECYCLE_RULE
from shared.domain.run.decide import decide, decide_all
from tests.builders import (
    PLAYER,
    T0,
    at,
    config,
    deposit,
    fired,
    logged_in,
    registered,
    round_,
    template,
)

HIGH_ROLLER = {
    "segment_id": "high-roller",
    "match": {"player": {"avg_stake": [{"numeric": [">=", 20]}]}},
}


def with_segments(*segments, rules=(), lifecycle=False):
    return build_config(
        1,
        list(rules),
        [template("hello"), template("welcome", category="service")],
        [{"policy_id": "engagement", "lifecycle": lifecycle}],
        list(segments),
    )


def published(d, detail_type):
    return [
        o.effect.detail
        for o in d.outbox
        if isinstance(o.effect, PublishEvent) and o.effect.detail_type == detail_type
    ]


def run(cfg, *events, state=None):
    return decide_all(
        state or PlayerState.new(PLAYER), list(events), cfg, max(e.occurred_at for e in events)
    )


# --- segments -------------------------------------------------------------------------------


def test_entering_a_segment_emits_one_entered_event_and_records_the_entry_time():
    d = run(
        with_segments(HIGH_ROLLER),
        round_(at(minutes=1), stake="50"),
        round_(at(minutes=2), stake="40"),
    )
    assert [e["segment_id"] for e in published(d, "engage.segment.entered")] == ["high-roller"]
    assert d.state.segments == {"high-roller": at(minutes=1)}


def test_leaving_a_segment_emits_exited_once():
    d = run(
        with_segments(HIGH_ROLLER),
        round_(at(minutes=1), stake="50"),
        *(round_(at(minutes=m), stake="1") for m in range(2, 6)),
    )
    assert len(published(d, "engage.segment.entered")) == 1
    assert len(published(d, "engage.segment.exited")) == 1
    assert d.state.segments == {}


def test_rules_see_the_segments_the_player_is_in():
    rule = {
        "rule_id": "vip-points",
        "on": ["game.round_finished"],
        "match": {"player": {"segments": ["high-roller"]}},
        "then": [{"award_points": {"points": 1}}],
    }
    d = run(with_segments(HIGH_ROLLER, rules=[rule]), round_(at(), stake="50"))
    assert d.state.points_balance == 1


def test_a_segment_may_only_test_the_player():
    snapshot = build_config(
        1, [], [], [], [{"segment_id": "x", "match": {"event": {"amount": [1]}}}]
    )
    assert "may only test 'player'" in str(snapshot.problems[0])


def test_a_deleted_segment_definition_is_not_reported_as_an_exit():
    d = run(with_segments(HIGH_ROLLER), round_(at(), stake="50"))
    d2 = decide(d.state, round_(at(minutes=5), stake="50"), with_segments(), at(minutes=5))
    assert published(d2, "engage.segment.exited") == []
    assert d2.state.segments == {}


def test_weekend_and_category_shares_are_available_to_segments():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    weekend = {
        "segment_id": "weekend",
        "match": {"player": {"weekend_share": [{"numeric": [">=", 0.5]}]}},
    }
    slots = {
        "segment_id": "slots-lover",
        "match": {"player": {"category_share": {"slots": [{"numeric": [">=", 0.6]}]}}},
    }
    d = run(
        with_segments(weekend, slots),
        round_(saturday),
        round_(saturday + timedelta(minutes=1)),
        round_(saturday + timedelta(days=2), category="table"),
    )
    assert sorted(d.state.segments) == ["slots-lover", "weekend"]


# --- lifecycle ------------------------------------------------------------------------------


def lifecycle_config():
    return config(lifecycle=True)


def test_registration_starts_the_lifecycle_and_arms_one_at_risk_timer():
    d = run(lifecycle_config(), registered(at()))
    assert d.state.engagement.stage == "new"
    assert d.state.timers[AT_RISK_TIMER].due_at == at(days=10)
    assert [e["stage"] for e in published(d, "engage.lifecycle.changed")] == ["new"]


def test_activity_does_not_touch_the_scheduler_until_the_timer_fires():
    d = run(lifecycle_config(), registered(at()), *(logged_in(at(days=n)) for n in range(1, 9)))
    arms = [o for o in d.outbox if isinstance(o.effect, ScheduleTimer)]
    assert len(arms) == 1  # the registration's; logins re-arm nothing


def test_an_early_fire_slides_the_timer_to_ten_days_after_the_last_activity():
    cfg = lifecycle_config()
    state = run(cfg, registered(at()), logged_in(at(days=8))).state
    timer = state.timers[AT_RISK_TIMER]
    d = decide(
        state,
        fired(timer.due_at, AT_RISK_TIMER, LIFECYCLE_RULE, timer.generation),
        cfg,
        timer.due_at,
    )
    assert d.state.engagement.stage == "new"
    assert d.state.timers[AT_RISK_TIMER].due_at == at(days=18)


def test_ten_quiet_days_make_a_player_at_risk_then_thirty_lapsed_then_activity_reactivates():
    cfg = lifecycle_config()
    state = run(cfg, registered(at()), deposit(at(hours=1))).state
    assert state.engagement.stage == "active"
    t = state.timers[AT_RISK_TIMER]
    state = decide(
        state, fired(t.due_at, AT_RISK_TIMER, LIFECYCLE_RULE, t.generation), cfg, t.due_at
    ).state
    t = state.timers[AT_RISK_TIMER]  # the deposit an hour in slid it by an hour
    assert t.due_at == at(days=10, hours=1)
    state = decide(
        state, fired(t.due_at, AT_RISK_TIMER, LIFECYCLE_RULE, t.generation), cfg, t.due_at
    ).state
    assert state.engagement.stage == "at_risk"
    t = state.timers[LAPSED_TIMER]
    assert t.due_at == at(days=30, hours=1)
    d = decide(state, fired(t.due_at, LAPSED_TIMER, LIFECYCLE_RULE, t.generation), cfg, t.due_at)
    assert d.state.engagement.stage == "lapsed"
    back = decide(d.state, logged_in(at(days=40)), cfg, at(days=40))
    assert back.state.engagement.stage == "reactivated"
    assert [e["previous_stage"] for e in published(back, "engage.lifecycle.changed")] == ["lapsed"]


def test_an_exclusion_does_not_cancel_the_lifecycle_timer():
    from events.models import SelfExcluded

    d = run(
        lifecycle_config(),
        registered(at()),
        SelfExcluded(player_id=PLAYER, event_id="se", occurred_at=at(hours=1)),
    )
    assert AT_RISK_TIMER in d.state.timers


# --- RFM ------------------------------------------------------------------------------------


def test_rfm_scores_recency_frequency_and_monetary_from_one_to_five():
    events = [logged_in(at(days=n)) for n in range(0, 20)] + [deposit(at(days=19), "1200")]
    d = run(config(), *events)
    rfm = d.state.engagement.rfm
    assert (rfm.r, rfm.f, rfm.m, rfm.score) == (5, 5, 5, 15)
    assert rfm.churn_risk == "low"


def test_a_regular_who_went_quiet_is_high_churn_risk():
    cfg = config()
    state = run(cfg, *(logged_in(at(days=n)) for n in range(0, 10))).state
    d = decide(state, round_(at(days=25)), cfg, at(days=25))  # recomputed at the next event
    assert d.state.engagement.rfm.recency_days == 0
    quiet = state.engagement.model_copy()
    from shared.domain.players.engagement import EngagementPolicy, rfm

    late = rfm(quiet, at(days=24), "Europe/Kyiv", EngagementPolicy())
    assert (late.r, late.churn_risk) == (1, "high")


def _replay(cfg, events, display_facts):
    """Each event decided in place, as the backtest's replay does."""
    state, effects = PlayerState.new(PLAYER), []
    for event in events:
        d = decide(state, event, cfg, event.occurred_at, in_place=True, display_facts=display_facts)
        effects.append((d.outbox, d.ledger, d.audit, sorted(d.state.segments)))
        state = d.state
    return state, effects


MONTH = [logged_in(at(days=n)) for n in range(0, 20, 2)] + [deposit(at(days=19), "300")]


def test_a_replay_that_shows_no_state_leaves_the_rfm_score_when_nothing_reads_it():
    cfg = with_segments(HIGH_ROLLER)
    assert cfg.reads_rfm is False
    shown, effects_shown = _replay(cfg, MONTH, display_facts=True)
    hidden, effects_hidden = _replay(cfg, MONTH, display_facts=False)
    assert shown.engagement.rfm is not None
    assert hidden.engagement.rfm is None
    assert effects_hidden == effects_shown  # the same decisions, the score aside


def test_a_condition_on_rfm_keeps_the_score_current_in_any_replay():
    vip = {"segment_id": "vip", "match": {"player": {"rfm": {"m": [{"numeric": [">=", 4]}]}}}}
    cfg = with_segments(vip)
    assert cfg.reads_rfm is True
    shown, effects_shown = _replay(cfg, MONTH, display_facts=True)
    hidden, effects_hidden = _replay(cfg, MONTH, display_facts=False)
    assert hidden.engagement.rfm == shown.engagement.rfm
    assert effects_hidden == effects_shown
    assert effects_hidden[-1][3] == ["vip"]  # entered on the deposit that made m = 4


def test_rfm_read_by_a_rule_or_by_a_rule_timers_condition_counts_as_read():
    churn = {"player": {"churn_risk": ["high"]}}
    by_rule = {
        "rule_id": "r",
        "on": ["player.logged_in"],
        "match": churn,
        "then": [{"send": {"template": "hello"}}],
    }
    by_timer = {
        "rule_id": "t",
        "on": ["player.logged_in"],
        "then": [
            {
                "schedule": {
                    "timer": "w",
                    "after": "P7D",
                    "if": churn,
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    }
    assert config(by_rule).reads_rfm is True
    assert config(by_timer).reads_rfm is True
    assert config({**by_rule, "match": {"player": {"country": ["SE"]}}}).reads_rfm is False


# --- offers and sliding timers --------------------------------------------------------------


def test_points_are_multiplied_while_an_offer_window_is_open():
    rules = [
        {
            "rule_id": "open",
            "on": ["player.logged_in"],
            "then": [{"open_offer": {"offer": "double", "multiplier": "2", "for": "PT2H"}}],
        },
        {
            "rule_id": "pts",
            "on": ["game.round_finished"],
            "then": [{"award_points": {"points": 5}}],
        },
    ]
    d = run(config(*rules), logged_in(at()), round_(at(hours=1)), round_(at(hours=3)))
    assert [e.points for e in d.ledger] == [10, 5]


def test_a_sliding_timer_waits_for_seven_days_after_the_last_round():
    rule = {
        "rule_id": "cold-seat",
        "on": ["game.round_finished"],
        "limit": {"per_player": 1},
        "then": [
            {
                "schedule": {
                    "timer": "cold",
                    "after": "P7D",
                    "slide_with": "last_round_at",
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    }
    cfg = config(rule)
    state = run(cfg, registered(at()), round_(at()), round_(at(days=5))).state
    t = state.timers["cold"]
    early = decide(state, fired(t.due_at, "cold", "cold-seat", t.generation), cfg, t.due_at)
    assert [o for o in early.outbox if isinstance(o.effect, SendMessage)] == []
    t2 = early.state.timers["cold"]
    assert t2.due_at == at(days=12)
    final = decide(
        early.state, fired(t2.due_at, "cold", "cold-seat", t2.generation), cfg, t2.due_at
    )
    assert [o.effect.template for o in final.outbox if isinstance(o.effect, SendMessage)] == [
        "hello"
    ]


def test_a_sliding_timer_armed_on_every_round_is_written_once_and_fires_after_the_last():
    # Re-arming on each round would write a schedule per round; armed once, it slides itself.
    rule = {
        "rule_id": "cold-seat",
        "on": ["game.round_finished"],
        "then": [
            {
                "schedule": {
                    "timer": "cold",
                    "after": "P7D",
                    "slide_with": "last_round_at",
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    }
    cfg = config(rule)
    d = run(cfg, registered(at()), round_(at()), round_(at(days=2)), round_(at(days=5)))
    arms = [o for o in d.outbox if isinstance(o.effect, ScheduleTimer) and o.effect.timer == "cold"]
    assert len(arms) == 1
    t = d.state.timers["cold"]
    assert t.due_at == at(days=7)
    early = decide(d.state, fired(t.due_at, "cold", "cold-seat", t.generation), cfg, t.due_at)
    t2 = early.state.timers["cold"]
    assert t2.due_at == at(days=12)
    assert [o for o in early.outbox if isinstance(o.effect, SendMessage)] == []
    final = decide(
        early.state, fired(t2.due_at, "cold", "cold-seat", t2.generation), cfg, t2.due_at
    )
    assert [o.effect.template for o in final.outbox if isinstance(o.effect, SendMessage)] == [
        "hello"
    ]


# --- calendar timers ------------------------------------------------------------------------


def test_the_next_birthday_is_at_nine_local_time_across_dst():
    kyiv = ZoneInfo("Europe/Kyiv")
    summer = next_local_occurrence(7, 1, "09:00", kyiv, T0)
    winter = next_local_occurrence(12, 1, "09:00", kyiv, T0)
    assert summer == datetime(2027, 7, 1, 6, 0, tzinfo=UTC)
    assert winter == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_a_leap_day_birthday_is_kept_on_the_28th_in_common_years():
    assert next_local_occurrence(2, 29, "09:00", ZoneInfo("UTC"), T0) == datetime(
        2027, 2, 28, 9, 0, tzinfo=UTC
    )


def test_a_birthday_timer_repeats_every_year():
    rule = {
        "rule_id": "bday",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "birthday",
                    "at_next": "birthday",
                    "repeat": True,
                    "then": [{"send": {"template": "welcome"}}],
                }
            }
        ],
    }
    cfg = config(rule)
    state = run(cfg, registered(at(), birth_date="1990-12-01")).state
    t = state.timers["birthday"]
    assert t.due_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    d = decide(state, fired(t.due_at, "birthday", "bday", t.generation), cfg, t.due_at)
    assert [o.effect.template for o in d.outbox if isinstance(o.effect, SendMessage)] == ["welcome"]
    assert d.state.timers["birthday"].due_at == datetime(2027, 12, 1, 7, 0, tzinfo=UTC)


def test_without_a_birth_date_no_birthday_timer_is_armed():
    rule = {
        "rule_id": "bday",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "birthday",
                    "at_next": "birthday",
                    "then": [{"send": {"template": "welcome"}}],
                }
            }
        ],
    }
    d = run(config(rule), registered(at()))
    assert d.state.timers == {}


def test_a_timer_gives_either_a_duration_or_a_calendar_moment():
    rule = {
        "rule_id": "x",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "t",
                    "after": "P1D",
                    "at_next": "birthday",
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    }
    snapshot = build_config(1, [rule], [template("hello")])
    assert "either 'after'" in str(snapshot.problems[0])


# --- inbox ----------------------------------------------------------------------------------


def test_an_inbox_message_needs_no_address_and_no_email_consent():
    inbox = {**template("help", category="marketing"), "channel": "inbox"}
    rule = {
        "rule_id": "help",
        "on": ["player.registered"],
        "then": [{"send": {"template": "help", "channel": "inbox"}}],
    }
    cfg = build_config(1, [rule], [inbox])
    d = run(cfg, registered(at(), consent=False, email=None))
    (send,) = [o.effect for o in d.outbox if isinstance(o.effect, SendMessage)]
    assert (send.channel, send.to) == ("inbox", None)


def test_spend_counts_towards_monetary():
    d = run(config(), deposit(at(), "10.50"), deposit(at(hours=1), "0.25"))
    assert d.state.engagement.rfm.monetary == Decimal("10.75")
