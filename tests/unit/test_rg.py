"""Responsible gaming: exclusions, behavioural flags and the gate."""

from datetime import timedelta
from decimal import Decimal

from events.models import CoolOffStarted, ExclusionEnded, SelfExcluded
from shared.domain.core.config import build_config
from shared.domain.core.state import CancelTimer, PlayerState, PublishEvent
from shared.domain.players.rg import RgStatus, RgThresholds, gate, observe, salvaged_event_id
from shared.domain.run.decide import decide_all
from tests.builders import PLAYER, T0, at, config, deposit, registered, round_, template

TH = RgThresholds()


def excluded(when, until=None, event_id="se-1"):
    return SelfExcluded(player_id=PLAYER, event_id=event_id, occurred_at=when, until=until)


def fold(*events, streaks=None, tz="Europe/Kyiv", th=TH):
    status, raised = RgStatus(), []
    for i, e in enumerate(events):
        seen = observe(
            status,
            e,
            loss_streak_before=(streaks or [0] * len(events))[i],
            time_zone=tz,
            thresholds=th,
        )
        status, raised = seen.status, raised + list(seen.raised)
    return status, raised


# --- the gate -------------------------------------------------------------------------------


def test_service_messages_always_pass_the_gate():
    status, _ = fold(excluded(at()))
    assert gate(status, "service_message", [at(hours=1)]).allowed


def test_a_self_excluded_player_gets_no_marketing_and_no_bonus():
    status, _ = fold(excluded(at()))
    for what in ("marketing_message", "bonus"):
        verdict = gate(status, what, [at(days=400)])
        assert not verdict.allowed
        assert verdict.reason == "self-excluded until indefinitely"


def test_a_timed_exclusion_ends_by_itself():
    status, _ = fold(excluded(at(), until=at(days=30)))
    assert not gate(status, "bonus", [at(days=29)]).allowed
    assert gate(status, "bonus", [at(days=30)]).allowed


def test_the_gate_refuses_if_any_of_the_given_times_is_covered():
    status, _ = fold(excluded(at(days=1), until=at(days=2)))
    assert not gate(status, "bonus", [at(), at(days=1, hours=1)]).allowed


def test_a_cool_off_blocks_offers_until_it_ends():
    status, _ = fold(
        CoolOffStarted(player_id=PLAYER, event_id="c", occurred_at=at(), until=at(hours=24))
    )
    verdict = gate(status, "marketing_message", [at(hours=1)])
    assert verdict.reason.startswith("cooling off until")
    assert gate(status, "marketing_message", [at(hours=24)]).allowed


def test_exclusion_ended_lifts_an_indefinite_exclusion_from_then_on():
    status, _ = fold(
        excluded(at()), ExclusionEnded(player_id=PLAYER, event_id="end", occurred_at=at(days=200))
    )
    assert not gate(status, "bonus", [at(days=199)]).allowed
    assert gate(status, "bonus", [at(days=201)]).allowed


def test_the_corrected_event_replaces_an_exclusion_salvaged_from_a_malformed_one():
    salvaged = excluded(at(), event_id=salvaged_event_id("se-9"))
    corrected = excluded(at(), until=at(days=7), event_id="se-9")
    status, _ = fold(salvaged, corrected)
    assert [e.event_id for e in status.exclusions] == ["se-9"]
    assert gate(status, "bonus", [at(days=8)]).allowed


# --- behavioural flags ----------------------------------------------------------------------


def test_a_deposit_soon_after_a_loss_streak_raises_loss_chasing():
    losses = [round_(at(minutes=m)) for m in (1, 2, 3)]
    status, raised = fold(*losses, deposit(at(minutes=10)), streaks=[0, 1, 2, 3])
    assert [f.name for f in raised] == ["loss_chasing"]
    assert raised[0].inputs == {"loss_streak": "3", "minutes_since_loss": "7"}
    assert not gate(status, "bonus", [at(minutes=11)]).allowed


def test_a_deposit_long_after_the_losses_is_not_loss_chasing():
    _, raised = fold(round_(at()), deposit(at(hours=2)), streaks=[0, 5])
    assert raised == []


def test_many_deposits_in_a_day_raise_deposit_frequency_once():
    _, raised = fold(*(deposit(at(hours=h)) for h in range(7)))
    assert [f.name for f in raised] == ["deposit_frequency"]


def test_net_loss_over_the_window_raises_net_loss():
    th = RgThresholds(net_loss_amount=Decimal("100"), net_loss_window_days=7)
    rounds = [round_(at(days=d), stake="30", payout="0") for d in range(4)]
    _, raised = fold(*rounds, th=th)
    assert [f.name for f in raised] == ["net_loss"]
    assert raised[0].inputs["net_loss"] == "120"


def test_losses_older_than_the_window_do_not_count():
    th = RgThresholds(net_loss_amount=Decimal("100"), net_loss_window_days=2)
    rounds = [round_(at(days=d * 3), stake="60", payout="0") for d in range(4)]
    _, raised = fold(*rounds, th=th)
    assert raised == []


def test_a_session_past_the_limit_raises_long_session():
    rounds = [round_(at(minutes=m)) for m in range(0, 200, 20)]
    _, raised = fold(*rounds)
    assert [f.name for f in raised] == ["long_session"]


def test_a_break_longer_than_the_gap_starts_a_new_session():
    rounds = [round_(at(minutes=m)) for m in (0, 100, 200, 300)]  # 100-minute gaps
    _, raised = fold(*rounds)
    assert raised == []


def test_late_night_play_is_judged_in_the_players_own_time_zone():
    th = RgThresholds(late_night_rounds=3)
    # 23:30 UTC on 24 Nov is 01:30 in Kyiv (UTC+2) but 23:30 in London.
    night = [
        round_(T0.replace(hour=23, minute=30) + timedelta(minutes=m), stake="0", payout="0")
        for m in (0, 5, 10)
    ]
    _, kyiv = fold(*night, th=th, tz="Europe/Kyiv")
    _, london = fold(*night, th=th, tz="Europe/London")
    assert [f.name for f in kyiv] == ["late_night_play"]
    assert london == []


def test_late_night_respects_daylight_saving_time():
    th = RgThresholds(late_night_rounds=1)
    # 2026-07-01 22:30 UTC is 01:30 in Kyiv (UTC+3 in summer); in winter it would be 00:30.
    summer = round_(T0.replace(month=7, day=1, hour=22, minute=30), stake="0", payout="0")
    _, raised = fold(summer, th=th, tz="Europe/Kyiv")
    assert raised[0].inputs["local_date"] == "2026-07-02"


def test_a_standing_flag_is_not_raised_again_but_is_extended():
    events = [deposit(at(hours=h)) for h in range(6)] + [
        deposit(at(days=5, hours=h)) for h in range(6)
    ]
    status, raised = fold(*events)
    assert len(raised) == 1
    assert status.flags["deposit_frequency"].stands_until == at(days=5, hours=5) + timedelta(days=7)


def test_a_flag_stops_standing_after_the_hold_period():
    status, _ = fold(*(deposit(at(hours=h)) for h in range(5)))
    assert not gate(status, "bonus", [at(days=6)]).allowed
    assert gate(status, "bonus", [at(days=8)]).allowed


# --- thresholds are config ------------------------------------------------------------------


def test_thresholds_come_from_the_rg_policy_item():
    snapshot = build_config(1, [], [], [{"policy_id": "rg", "deposits_per_day": 3}])
    assert snapshot.rg_thresholds.deposits_per_day == 3
    assert snapshot.problems == ()


def test_a_bad_policy_keeps_the_safe_defaults_and_is_reported():
    snapshot = build_config(1, [], [], [{"policy_id": "rg", "deposits_per_day": 0}])
    assert snapshot.rg_thresholds == RgThresholds()
    assert "deposits_per_day" in str(snapshot.problems[0])


# --- in the decision ------------------------------------------------------------------------

RULES = (
    {
        "rule_id": "pts",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"points": 5}}],
    },
    {
        "rule_id": "promo",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "promo",
                    "after": "P3D",
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    },
    {
        "rule_id": "notice",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "notice",
                    "after": "P3D",
                    "then": [{"send": {"template": "welcome"}}],
                }
            }
        ],
    },
)


def run(*events):
    return decide_all(
        PlayerState.new(PLAYER), list(events), config(*RULES), max(e.occurred_at for e in events)
    )


def test_exclusion_cancels_pending_offer_timers_and_keeps_service_ones():
    d = run(registered(at()), excluded(at(hours=1)))
    assert sorted(d.state.timers) == ["notice"]
    assert [o.effect.timer for o in d.outbox if isinstance(o.effect, CancelTimer)] == ["promo"]
    assert {a.category for a in d.audit} == {"exclusion", "timer_cancelled"}


def test_a_bonus_refused_by_the_gate_is_audited_with_its_reason():
    d = run(excluded(at()), deposit(at(hours=1)))
    assert d.ledger == []
    (audit,) = [a for a in d.audit if a.category == "suppression"]
    assert audit.reason == "award 5 points: self-excluded until indefinitely"
    assert audit.rule_id == "pts"


def test_a_raised_flag_publishes_one_rg_alert_for_compliance():
    d = run(*(deposit(at(hours=h)) for h in range(6)))
    alerts = [o.effect for o in d.outbox if isinstance(o.effect, PublishEvent)]
    assert len(alerts) == 1
    assert alerts[0].detail_type == "rg.alert"
    assert alerts[0].compliance
    assert alerts[0].detail["flag"] == "deposit_frequency"
    assert "email" not in str(alerts[0].detail)


def test_every_suppression_in_a_decision_has_an_audit_record():
    d = run(registered(at(), consent=False), excluded(at(hours=1)), deposit(at(hours=2)))
    suppressed = [t for t in d.trace if "suppressed" in t.text]
    assert len(suppressed) == len([a for a in d.audit if a.category == "suppression"]) >= 1


def test_templates_marked_service_are_not_offers():
    snapshot = build_config(1, [], [template("welcome", category="service")])
    assert snapshot.template("welcome", "email", "en").category == "service"
