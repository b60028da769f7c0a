"""Attribution: one conversion, one winning rule, by event time within the goal's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.domain.measurement.attribution import Candidate, Touch, attribute
from shared.domain.measurement.goals import Goal
from shared.reports.uplift import Uplift

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DEPOSIT = Goal(on=["wallet.deposit_succeeded"], window=timedelta(days=7))
BIG = Goal(on=["wallet.deposit_succeeded"], match={"event": {"amount": [{"numeric": [">=", 100]}]}})


def _deposit(at: datetime, amount: float = 50.0, event_id: str = "d1") -> Candidate:
    return Candidate("p1", event_id, "wallet.deposit_succeeded", at, amount, {"amount": amount})


def test_the_latest_touch_before_a_conversion_wins_it():
    touches = [Touch("p1", "a", T0), Touch("p1", "b", T0 + timedelta(days=1))]

    result = attribute(touches, {"a": DEPOSIT, "b": DEPOSIT}, [_deposit(T0 + timedelta(days=2))])

    assert result.winners == {"d1": "b"}


def test_first_touch_credits_the_earliest_touch_instead():
    touches = [Touch("p1", "a", T0), Touch("p1", "b", T0 + timedelta(days=1))]

    result = attribute(
        touches, {"a": DEPOSIT, "b": DEPOSIT}, [_deposit(T0 + timedelta(days=2))], "first"
    )

    assert result.winners == {"d1": "a"}


def test_touches_at_the_same_instant_go_to_the_lowest_rule_id():
    touches = [Touch("p1", "zeta", T0), Touch("p1", "alpha", T0)]

    result = attribute(
        touches, {"alpha": DEPOSIT, "zeta": DEPOSIT}, [_deposit(T0 + timedelta(hours=1))]
    )

    assert result.winners == {"d1": "alpha"}


def test_a_conversion_converting_several_campaigns_counts_once_in_total():
    touches = [Touch("p1", "a", T0), Touch("p1", "b", T0)]

    result = attribute(
        touches, {"a": DEPOSIT, "b": DEPOSIT}, [_deposit(T0 + timedelta(hours=1), 80.0)]
    )

    assert sum(c.conversions for c in result.by_rule.values()) == 1
    assert sum(c.revenue for c in result.by_rule.values()) == 80.0


def test_a_conversion_after_the_window_is_not_attributed():
    result = attribute([Touch("p1", "a", T0)], {"a": DEPOSIT}, [_deposit(T0 + timedelta(days=8))])

    assert result.by_rule == {}


def test_a_conversion_at_the_touch_instant_is_not_caused_by_it():
    result = attribute([Touch("p1", "a", T0)], {"a": DEPOSIT}, [_deposit(T0)])

    assert result.by_rule == {}


def test_a_goal_pattern_filters_the_conversions_it_accepts():
    result = attribute(
        [Touch("p1", "a", T0)],
        {"a": BIG},
        [
            _deposit(T0 + timedelta(hours=1), 50.0, "small"),
            _deposit(T0 + timedelta(hours=2), 150.0, "big"),
        ],
    )

    assert result.winners == {"big": "a"}


def test_a_redelivered_conversion_counts_once():
    deposit = _deposit(T0 + timedelta(hours=1))

    result = attribute([Touch("p1", "a", T0)], {"a": DEPOSIT}, [deposit, deposit])

    assert result.by_rule["a"].conversions == 1


def test_a_goal_refuses_a_pattern_on_the_player_document():
    with pytest.raises(ValidationError, match="may only test 'event'"):
        Goal(on=["wallet.deposit_succeeded"], match={"player": {"deposit_count": [1]}})


def test_uplift_interval_brackets_the_difference_of_rates():
    uplift = Uplift(treated=200, treated_converted=60, control=200, control_converted=40)

    low, high = uplift.interval() or (0.0, 0.0)

    assert uplift.difference == pytest.approx(0.10)
    assert low < 0.10 < high
    assert low == pytest.approx(0.10 - 1.96 * ((0.3 * 0.7 + 0.2 * 0.8) / 200) ** 0.5, abs=1e-3)


def test_uplift_has_no_interval_without_a_control_arm():
    assert Uplift(10, 3, 0, 0).interval() is None
