"""The points wallet: earn into lots, spend earliest-expiring first, expire by timer, reverse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import DepositReversed
from shared.domain.core.state import PlayerState, ScheduleTimer
from shared.domain.game.points import (
    EXPIRY_TIMER,
    InsufficientPoints,
    PointsPolicy,
    Wallet,
    earn,
    expire_due,
    reverse,
    spend,
)
from shared.domain.run.decide import decide
from tests.builders import PLAYER, T0, config, deposit, eid, fired, registered

KYIV = ZoneInfo("Europe/Kyiv")
POINTS_PER_EURO = {
    "rule_id": "deposit-points",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"rate": 1, "of": "amount"}}],
}


def _earn(wallet: Wallet, points: int, at: datetime, expires: datetime | None = None, ref=None):
    return earn(
        wallet,
        points,
        at=at,
        expires_at=expires,
        entry_id=eid("entry"),
        ref=ref,
    )


# --- policy -------------------------------------------------------------------------------


def test_given_expiry_after_30_days_when_earned_then_it_lapses_at_local_midnight_after_day_30():
    policy = PointsPolicy(expire_after_days=30)

    lapse = policy.expires_at(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), KYIV)

    # 23:30 UTC is already 2 March in Kyiv; day 30 after that is 1 April, over at midnight
    # local (EEST since 29 March, so 21:00 UTC).
    assert lapse == datetime(2026, 4, 1, 21, 0, tzinfo=UTC)


def test_given_month_end_expiry_one_month_on_when_earned_then_it_lapses_after_next_month():
    policy = PointsPolicy(expire_at_month_end=True, months_after=1)

    lapse = policy.expires_at(datetime(2026, 12, 15, tzinfo=UTC), ZoneInfo("UTC"))

    assert lapse == datetime(2027, 2, 1, tzinfo=UTC)


def test_given_no_expiry_when_earned_then_points_never_lapse():
    assert PointsPolicy().expires_at(T0, KYIV) is None


def test_given_both_expiry_kinds_when_validated_then_it_is_refused():
    with pytest.raises(ValueError, match="either"):
        PointsPolicy(expire_after_days=30, expire_at_month_end=True)


# --- wallet -------------------------------------------------------------------------------


def test_given_lots_when_spending_then_the_earliest_expiring_points_go_first():
    wallet = Wallet()
    _earn(wallet, 100, T0, expires=T0 + timedelta(days=90))
    _earn(wallet, 50, T0, expires=T0 + timedelta(days=10))
    _earn(wallet, 30, T0)

    spend(wallet, 70, at=T0, ref="item")

    assert [(lot.remaining, lot.expires_at) for lot in wallet.lots] == [
        (80, T0 + timedelta(days=90)),
        (30, None),
    ]


def test_given_too_few_points_when_spending_then_it_is_refused_and_nothing_changes():
    wallet = Wallet()
    _earn(wallet, 40, T0)

    with pytest.raises(InsufficientPoints, match="needs 41 points, balance is 40"):
        spend(wallet, 41, at=T0, ref="item")

    assert wallet.total() == 40


def test_given_a_reversal_beyond_the_balance_when_reversed_then_the_rest_is_owed_and_repaid():
    wallet = Wallet()
    _earn(wallet, 100, T0, ref="deposit:d1")
    spend(wallet, 70, at=T0, ref="item")

    moves, _ = reverse(wallet, "deposit:d1", at=T0, keep_from=T0)
    assert [m.points for m in moves] == [-30]
    assert wallet.total() == 0
    assert wallet.owed == 70

    later = _earn(wallet, 50, T0 + timedelta(days=1))
    assert [(m.kind, m.points) for m in later] == [("earn", 50), ("reverse", -50)]
    assert wallet.total() == 0
    assert wallet.owed == 20


def test_given_a_reference_reversed_twice_when_reversed_again_then_nothing_happens():
    wallet = Wallet()
    _earn(wallet, 100, T0, ref="deposit:d1")
    reverse(wallet, "deposit:d1", at=T0, keep_from=T0)

    moves, earnings = reverse(wallet, "deposit:d1", at=T0, keep_from=T0)

    assert moves == []
    assert earnings == []


def test_given_lots_when_expiring_then_only_due_lots_lapse_at_their_own_moment():
    wallet = Wallet()
    _earn(wallet, 10, T0, expires=T0 + timedelta(days=1))
    _earn(wallet, 20, T0, expires=T0 + timedelta(days=2))

    moves = expire_due(wallet, T0 + timedelta(days=1, hours=5))

    assert [(m.points, m.at) for m in moves] == [(-10, T0 + timedelta(days=1))]
    assert wallet.total() == 20


# --- in a decision ------------------------------------------------------------------------


def _points_config(**policy):
    return config(POINTS_PER_EURO, game={"points": [{"policy_id": "points", **policy}]})


def _apply(state, event, cfg):
    return decide(state, event, cfg, event.occurred_at)


def test_given_expiring_points_when_earned_then_one_expiry_timer_is_armed_at_the_lapse():
    cfg = _points_config(expire_after_days=30)
    state = _apply(PlayerState.new(PLAYER), registered(T0), cfg).state

    d = _apply(state, deposit(T0 + timedelta(hours=1), "50"), cfg)

    (line,) = d.ledger
    assert (line.kind, line.points, line.balance_after) == ("earn", 50, 50)
    assert line.expires_at == d.state.timers[EXPIRY_TIMER].due_at
    assert [o.effect.timer for o in d.outbox if isinstance(o.effect, ScheduleTimer)] == [
        EXPIRY_TIMER
    ]


def test_given_the_expiry_timer_when_it_fires_then_lapsed_points_leave_by_a_ledger_line():
    cfg = _points_config(expire_after_days=30)
    state = _apply(PlayerState.new(PLAYER), registered(T0), cfg).state
    state = _apply(state, deposit(T0, "50"), cfg).state
    state = _apply(state, deposit(T0 + timedelta(days=10), "20"), cfg).state
    first = state.timers[EXPIRY_TIMER]

    d = _apply(state, fired(first.due_at, EXPIRY_TIMER, "points", first.generation), cfg)

    assert [(x.kind, x.points, x.balance_after) for x in d.ledger] == [("expire", -50, 20)]
    # Re-armed for the next lot.
    assert d.state.timers[EXPIRY_TIMER].due_at > first.due_at


def test_given_a_reversed_deposit_when_applied_then_its_points_are_clawed_back():
    cfg = _points_config()
    state = _apply(PlayerState.new(PLAYER), registered(T0), cfg).state
    dep = deposit(T0, "80")
    earned = _apply(state, dep, cfg)
    state = earned.state
    state = _apply(state, deposit(T0 + timedelta(hours=1), "20"), cfg).state

    d = _apply(
        state,
        DepositReversed(
            player_id=PLAYER,
            event_id=eid("rev"),
            occurred_at=T0 + timedelta(days=2),
            deposit_id=dep.deposit_id,
            reason="chargeback",
        ),
        cfg,
    )

    (line,) = d.ledger
    assert (line.kind, line.points, line.balance_after) == ("reverse", -80, 20)
    assert line.ref == earned.ledger[0].entry_id
    assert d.state.points_balance == 20


# --- the invariant ------------------------------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "spend", "expire", "reverse"]),
        st.integers(min_value=1, max_value=400),
        st.integers(min_value=0, max_value=72),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(OPS, st.sampled_from([None, 3, 40]))
def test_given_any_sequence_of_earn_spend_expire_reverse_then_balance_is_the_ledger_sum(
    ops, expire_days
):
    cfg = _points_config(**({"expire_after_days": expire_days} if expire_days else {}))
    state = _apply(PlayerState.new(PLAYER), registered(T0), cfg).state
    ledger_sum, deposits, now = 0, [], T0
    for op, n, hours in ops:
        now += timedelta(hours=hours)
        lines = []
        if op == "deposit":
            dep = deposit(now, str(n))
            deposits.append(dep.deposit_id)
            d = _apply(state, dep, cfg)
            state, lines = d.state, d.ledger
        elif op == "spend":
            try:
                move = spend(state.wallet, n, at=now, ref="item")
            except InsufficientPoints:
                assert n > state.points_balance
            else:
                state.points_balance += move.points
                ledger_sum += move.points
        elif op == "expire" and EXPIRY_TIMER in state.timers:
            pending = state.timers[EXPIRY_TIMER]
            when = max(now, pending.due_at)
            d = _apply(state, fired(when, EXPIRY_TIMER, "points", pending.generation), cfg)
            state, lines = d.state, d.ledger
        elif op == "reverse" and deposits:
            d = _apply(
                state,
                DepositReversed(
                    player_id=PLAYER,
                    event_id=eid("rev"),
                    occurred_at=now,
                    deposit_id=deposits[n % len(deposits)],
                ),
                cfg,
            )
            state, lines = d.state, d.ledger
        for line in lines:
            ledger_sum += line.points
            assert line.balance_after >= 0
        assert state.points_balance == ledger_sum == state.wallet.total()
        assert state.points_balance >= 0
        assert state.wallet.owed >= 0


def test_given_reversible_earns_when_the_state_is_serialized_then_they_are_left_out():
    wallet = Wallet()
    _earn(wallet, 10, T0, ref="deposit:d1")

    assert "reversible" not in wallet.model_dump_json()
    assert wallet.reversible["deposit:d1"][0].points == 10


def test_given_an_earn_older_than_the_window_when_reversed_then_nothing_is_clawed_back():
    wallet = Wallet()
    _earn(wallet, 10, T0, ref="deposit:d1")

    moves, earnings = reverse(
        wallet, "deposit:d1", at=T0 + timedelta(days=200), keep_from=T0 + timedelta(days=20)
    )

    assert moves == []
    assert earnings == []
    assert wallet.total() == 10
