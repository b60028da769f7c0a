"""Tiers on points earned in a window: immediate upgrades, reviewed downgrades, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from events.models import DepositReversed
from shared.domain.core.state import PlayerState, PublishEvent
from shared.domain.game.points import spend
from shared.domain.game.tiers import REVIEW_TIMER, TierProgram
from shared.domain.run.decide import decide
from tests.builders import PLAYER, config, deposit, eid, fired, registered

T = datetime(2026, 1, 10, 12, tzinfo=UTC)
LADDER = [
    {"tier_id": "bronze", "name": "Bronze", "min_points": 0},
    {"tier_id": "silver", "name": "Silver", "min_points": 100},
    {"tier_id": "gold", "name": "Gold", "min_points": 500},
]
POINTS = {
    "rule_id": "deposit-points",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"rate": 1, "of": "amount"}}],
}


def _cfg(**program):
    body = {"program_id": "vip", "tiers": LADDER, **program}
    return config(POINTS, game={"tiers": [body]})


def _run(cfg, *events, state=None):
    state = state or PlayerState.new(PLAYER)
    published = []
    for event in events:
        d = decide(state, event, cfg, event.occurred_at)
        state = d.state
        published += [o.effect for o in d.outbox if isinstance(o.effect, PublishEvent)]
    return state, [p.detail for p in published if p.detail_type == "engage.tier.changed"]


def _fire_review(cfg, state, when=None):
    pending = state.timers[REVIEW_TIMER]
    return _run(
        cfg, fired(when or pending.due_at, REVIEW_TIMER, "tiers", pending.generation), state=state
    )


def test_given_a_ladder_out_of_order_when_validated_then_it_is_refused():
    with pytest.raises(ValidationError, match="min_points increasing"):
        TierProgram(program_id="vip", tiers=list(reversed(LADDER)))


def test_given_earned_points_reaching_gold_when_deposited_then_the_tier_rises_at_once():
    state, changes = _run(_cfg(), registered(T), deposit(T, "120"), deposit(T, "400"))

    assert state.tier.tier == "gold"
    # One change per qualifying event, straight to the tier the points support.
    assert [(c["previous_tier"], c["tier"], c["direction"]) for c in changes] == [
        (None, "silver", "up"),
        ("silver", "gold", "up"),
    ]
    assert changes[-1]["qualifying_points"] == 520


def test_given_points_spent_when_tiers_count_then_spending_does_not_lower_qualification():
    cfg = _cfg()
    state, _ = _run(cfg, registered(T), deposit(T, "520"))
    state.points_balance += spend(state.wallet, 500, at=T, ref="item").points

    state, _ = _run(cfg, deposit(T + timedelta(days=1), "1"), state=state)

    assert state.points_balance == 21
    assert state.tier.tier == "gold"


def test_given_a_rolling_window_when_old_points_leave_it_then_the_review_downgrades():
    cfg = _cfg(window="rolling", rolling_days=30)
    state, _ = _run(cfg, registered(T), deposit(T, "520"))
    assert state.timers[REVIEW_TIMER].due_at == T + timedelta(days=30)

    state, changes = _fire_review(cfg, state)

    assert state.tier.tier == "bronze"
    assert [(c["previous_tier"], c["tier"], c["direction"]) for c in changes] == [
        ("gold", "bronze", "down")
    ]


def test_given_a_player_who_requalifies_when_the_old_review_fires_then_it_slides_on():
    cfg = _cfg(window="rolling", rolling_days=30)
    state, _ = _run(cfg, registered(T), deposit(T, "520"))
    first_due = state.timers[REVIEW_TIMER].due_at
    state, _ = _run(cfg, deposit(T + timedelta(days=20), "600"), state=state)
    assert state.timers[REVIEW_TIMER].due_at == first_due  # no re-arm per earn

    state, changes = _fire_review(cfg, state)

    assert state.tier.tier == "gold"
    assert changes == []
    assert state.timers[REVIEW_TIMER].due_at == T + timedelta(days=50)


def test_given_a_grace_period_when_reviewed_then_the_review_waits_for_it():
    cfg = _cfg(window="rolling", rolling_days=30, grace_days=7)
    state, _ = _run(cfg, registered(T), deposit(T, "520"))

    assert state.timers[REVIEW_TIMER].due_at == T + timedelta(days=37)


def test_given_no_downgrade_policy_when_points_age_then_no_review_is_ever_armed():
    cfg = _cfg(downgrade="none", window="rolling", rolling_days=30)
    state, _ = _run(cfg, registered(T), deposit(T, "520"))

    assert REVIEW_TIMER not in state.timers
    assert state.tier.tier == "gold"


def test_given_a_calendar_year_when_it_ends_then_status_earned_in_it_holds_through_the_next():
    cfg = _cfg(window="calendar", calendar="year", time_zone="Europe/Kyiv")
    state, _ = _run(cfg, registered(T), deposit(T, "520"))
    # Reviewed at local midnight of 1 January 2027 (22:00 UTC on 31 December).
    assert state.timers[REVIEW_TIMER].due_at == datetime(2026, 12, 31, 22, tzinfo=UTC)

    state, changes = _fire_review(cfg, state)
    assert state.tier.tier == "gold"
    assert changes == []

    state, changes = _fire_review(cfg, state)  # end of 2027: nothing earned in 2027
    assert [c["tier"] for c in changes] == ["bronze"]


def test_given_a_reversed_deposit_when_reviewed_then_its_points_no_longer_qualify():
    cfg = _cfg(window="calendar", calendar="year")
    dep = deposit(T, "450")
    state, _ = _run(cfg, registered(T), deposit(T, "100"), dep)
    assert state.tier.tier == "gold"

    reversal = DepositReversed(
        player_id=PLAYER,
        event_id=eid("rev"),
        occurred_at=T + timedelta(days=1),
        deposit_id=dep.deposit_id,
        reason="chargeback",
    )
    state, changes = _run(cfg, reversal, state=state)
    assert state.tier.tier == "gold"
    assert changes == []
    assert sum(state.tier.earned.values()) == 100

    state, changes = _fire_review(cfg, state)
    assert [(c["tier"], c["qualifying_points"]) for c in changes] == [("silver", 100)]


def test_given_buckets_when_the_window_moves_on_then_old_buckets_are_pruned():
    cfg = _cfg(window="rolling", rolling_days=10)
    state, _ = _run(cfg, registered(T), deposit(T, "5"))

    state, _ = _run(cfg, deposit(T + timedelta(days=40), "5"), state=state)

    assert list(state.tier.earned) == ["2026-02-19"]
