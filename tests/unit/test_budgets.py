"""Rule budgets in the decision: over-budget rewards are suppressed with the reason and the
figures; campaign budgets become one claim per pool for the commit to check again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from shared.domain.core.state import PlayerState
from shared.domain.measurement.budgets import BudgetClaim, RuleBudget
from shared.domain.run.decide import decide, decide_all
from tests.builders import PLAYER, T0, at, config, deposit

GAME = {
    "wheel": [{"wheel_id": "daily", "prizes": [{"prize_id": "miss", "label": "M", "weight": 1}]}]
}


def bonus(budget: dict[str, Any], *then: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule_id": "bonus",
        "on": ["wallet.deposit_succeeded"],
        "then": list(then) or [{"award_points": {"points": 100}}],
        "budget": budget,
    }


def refusals(decision: Any) -> list[tuple[str, dict[str, str]]]:
    return [(a.reason, a.inputs) for a in decision.audit if a.category == "suppression"]


def test_a_player_over_their_budget_gets_no_more_and_the_refusal_is_recorded():
    c = config(bonus({"per_player": 250, "period": "day"}))
    d = decide_all(PlayerState.new(PLAYER), [deposit(at(minutes=i)) for i in range(3)], c, T0)

    assert d.state.points_balance == 200
    assert refusals(d) == [("budget_player", {"budget": "250", "cost": "100"})]
    assert d.claims == []


def test_a_players_budget_starts_again_in_the_next_period():
    c = config(bonus({"per_player": 100, "period": "day"}))
    d = decide_all(PlayerState.new(PLAYER), [deposit(at()), deposit(at(days=1))], c, T0)

    assert d.state.points_balance == 200
    assert d.state.budget_used == {"bonus#2026-11-25": 100}


def test_a_campaign_budget_claims_its_units_once_per_pool_for_the_commit():
    c = config(bonus({"campaign": 1000, "period": "month"}))
    d = decide_all(PlayerState.new(PLAYER), [deposit(at()), deposit(at(hours=1))], c, T0)

    assert d.claims == [BudgetClaim("bonus", "2026-11", 200, 1000)]


def test_a_campaign_budget_already_spent_elsewhere_suppresses_the_award():
    c = config(bonus({"campaign": 1000, "period": "month"}))
    d = decide(PlayerState.new(PLAYER), deposit(at()), c, T0, {("bonus", "2026-11"): 950})

    assert d.ledger == []
    assert d.claims == []
    assert refusals(d) == [("budget_campaign", {"budget": "1000", "cost": "100"})]


def test_a_money_budget_costs_points_and_spins_at_their_value():
    rule = bonus(
        {"unit": "money", "per_player": 200, "point_value": "1.5", "spin_value": "40"},
        {"award_points": {"points": 100}},
        {"grant_spins": {"wheel": "daily", "count": 2}},
    )
    d = decide(PlayerState.new(PLAYER), deposit(at()), config(rule, game=GAME), T0)

    assert d.state.points_balance == 100  # 150 cents of 200
    assert d.state.rewards.spins == {}  # 2 x 40 more cents would make 230
    assert refusals(d) == [("budget_player", {"budget": "200", "cost": "80"})]
    assert d.state.budget_used == {"bonus#all": 150}


def test_spins_over_a_spin_budget_are_not_granted():
    rule = bonus(
        {"unit": "spins", "per_player": 3}, {"grant_spins": {"wheel": "daily", "count": 2}}
    )
    c = config(rule, game=GAME)
    d = decide_all(PlayerState.new(PLAYER), [deposit(at()), deposit(at(hours=1))], c, T0)

    assert len(d.state.rewards.spins["daily"]) == 2
    assert refusals(d) == [("budget_player", {"budget": "3", "cost": "2"})]


@pytest.mark.parametrize(
    ("budget", "why"),
    [
        ({"period": "day"}, "give 'campaign', 'per_player', or both"),
        ({"campaign": 10, "unit": "money"}, "needs 'point_value'"),
        ({"campaign": 10, "point_value": "1"}, "only for unit 'money'"),
    ],
)
def test_a_budget_that_cannot_mean_anything_is_refused(budget, why):
    with pytest.raises(ValidationError, match=why):
        RuleBudget.model_validate(budget)


def test_money_is_rounded_up_to_a_whole_cent():
    budget = RuleBudget(unit="money", campaign=10, point_value=Decimal("0.01"))
    assert budget.cost(points=150) == 2
