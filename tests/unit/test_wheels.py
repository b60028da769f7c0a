"""Wheel and store config, the draw, and spins/purchases in the decision."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from pydantic import ValidationError

from shared.domain.core.state import PlayerState
from shared.domain.game.game_config import build_game_config
from shared.domain.game.reward_store import StoreItem
from shared.domain.game.wheels import Budget, Wheel, eligible, pick, total_weight
from shared.domain.run.decide import decide, decide_all
from tests.builders import PLAYER, T0, at, registered
from tests.game_builders import (
    EARN_RULE,
    GRANT_RULE,
    deposit_of,
    excluded,
    game_config,
    item,
    prize,
    purchased,
    spun,
    wheel,
)


def _state_with(*events, config):
    return decide_all(PlayerState.new(PLAYER), [registered(T0), *events], config, T0).state


# --- config --------------------------------------------------------------------------------


def test_given_a_prize_with_two_rewards_then_the_wheel_is_refused_naming_the_prize():
    with pytest.raises(ValidationError, match=r"prizes\.0"):
        Wheel.model_validate(wheel("daily", prize("x", points=5, badge="lucky")))


def test_given_a_zero_weight_then_the_wheel_is_refused():
    with pytest.raises(ValidationError, match="weight"):
        Wheel.model_validate(wheel("daily", prize("x", weight=0)))


def test_given_repeated_prize_ids_then_the_wheel_is_refused():
    with pytest.raises(ValidationError, match="repeated"):
        Wheel.model_validate(wheel("daily", prize("x"), prize("x")))


def test_given_a_prize_badge_that_does_not_exist_then_the_wheel_is_skipped_and_reported():
    game, problems = build_game_config(
        {"wheel": [wheel("daily", prize("b", badge="ghost")), wheel("ok")]}
    )

    assert sorted(game.wheels) == ["ok"]
    assert [(p.kind, p.item_id) for p in problems] == [("wheel", "daily")]
    assert "prizes.0.badge: no badge 'ghost'" in problems[0].reason


def test_given_a_store_item_granting_spins_of_an_unknown_wheel_then_it_is_skipped():
    game, problems = build_game_config(
        {"store_item": [item("spins", spins={"wheel": "nope", "count": 1})]}
    )

    assert game.store == {}
    assert "spins.wheel: no wheel 'nope'" in problems[0].reason


def test_given_a_store_item_with_badge_and_spins_then_it_is_refused():
    with pytest.raises(ValidationError, match="badge or spins"):
        StoreItem.model_validate(item(badge="lucky", spins={"wheel": "daily"}))


def test_given_budget_periods_then_the_keys_follow_the_local_calendar():
    late = T0.replace(hour=22, minute=30)  # 2026-11-25 00:30 in Kyiv

    assert Budget(total=1, period="day", time_zone="Europe/Kyiv").period_key(late) == "2026-11-25"
    assert Budget(total=1, period="week").period_key(T0) == "2026-W48"
    assert Budget(total=1, period="month").period_key(T0) == "2026-11"
    assert Budget(total=1).period_key(T0) == "all"


# --- the draw ------------------------------------------------------------------------------


def test_given_weights_then_every_roll_maps_to_the_prize_owning_it_in_proportion():
    w = Wheel.model_validate(wheel("daily", prize("a", 1), prize("b", 3), prize("c", 6)))

    landed = Counter(pick(w.prizes, roll).prize_id for roll in range(total_weight(w.prizes)))

    assert landed == {"a": 1, "b": 3, "c": 6}


def test_given_a_roll_outside_the_weights_then_pick_refuses():
    w = Wheel.model_validate(wheel("daily", prize("a", 2)))

    with pytest.raises(ValueError, match="outside"):
        pick(w.prizes, 2)


def test_given_a_prize_out_of_stock_then_it_is_not_eligible():
    w = Wheel.model_validate(wheel("daily", prize("car", stock=1), prize("miss")))

    assert [p.prize_id for p in eligible(w, {"car": 0}, 0)] == ["car", "miss"]
    assert [p.prize_id for p in eligible(w, {"car": 1}, 0)] == ["miss"]


def test_given_a_prize_whose_cost_exceeds_what_is_left_of_the_budget_then_it_is_not_eligible():
    w = Wheel.model_validate(
        wheel(
            "daily",
            prize("big", points=500, cost=500),
            prize("small", points=10, cost=10),
            prize("miss"),
            budget={"total": 1000, "period": "day"},
        )
    )

    assert [p.prize_id for p in eligible(w, {}, 490)] == ["big", "small", "miss"]
    assert [p.prize_id for p in eligible(w, {}, 501)] == ["small", "miss"]
    assert [p.prize_id for p in eligible(w, {}, 995)] == ["miss"]


# --- grants --------------------------------------------------------------------------------


def test_given_a_granting_rule_then_a_deposit_grants_one_spin_with_a_deterministic_id():
    config = game_config(GRANT_RULE)
    dep = deposit_of(10)

    once = _state_with(dep, config=config)
    again = _state_with(dep, config=config)

    [grant] = once.rewards.spins["daily"]
    assert grant.expires_at == dep.occurred_at + timedelta(days=1)
    assert again.rewards.spins["daily"][0].grant_id == grant.grant_id


def test_a_decision_lists_the_spins_it_granted_and_only_those():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), config=config)

    decision = decide(state, deposit_of(10, at(minutes=5)), config, at(minutes=5))

    held = decision.state.rewards.spins["daily"]
    assert len(held) == 2  # the earlier grant is still held, not granted again
    assert decision.spins_granted == held[1:]


def test_given_a_self_excluded_player_then_no_spins_are_granted_and_it_is_audited():
    config = game_config(GRANT_RULE)
    state = _state_with(excluded(at(minutes=1)), config=config)

    decision = decide(state, deposit_of(10, at(minutes=2)), config, at(minutes=2))

    assert decision.state.rewards.spins == {}
    assert decision.spins_granted == []
    assert [a.category for a in decision.audit] == ["suppression"]


def test_given_spins_granted_then_they_lapse_and_a_later_spin_is_not_applied():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), config=config)
    later = at(days=2)

    decision = decide(state, spun("p100", later), config, later)

    assert decision.state.rewards.spins == {}
    assert decision.ledger == []
    assert "no spins" in str(decision.trace)


# --- spins ---------------------------------------------------------------------------------


def test_given_a_spin_then_it_uses_the_oldest_grant_and_pays_points_to_the_ledger():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), deposit_of(10, at(minutes=1)), config=config)
    oldest = state.rewards.spins["daily"][0]
    when = at(minutes=5)

    decision = decide(state, spun("p100", when), config, when)

    assert [g.grant_id for g in decision.state.rewards.spins["daily"]] != [oldest.grant_id]
    assert len(decision.state.rewards.spins["daily"]) == 1
    assert [(e.kind, e.points) for e in decision.ledger] == [("earn", 100)]
    assert decision.state.points_balance == 100
    published = [o.effect.detail_type for o in decision.outbox if o.effect.kind == "publish"]
    assert published == ["engage.wheel.spun"]


def test_given_one_spin_then_a_second_spin_command_is_refused():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), config=config)
    when = at(minutes=5)
    first = decide(state, spun("p100", when), config, when)

    second = decide(first.state, spun("p100", when), config, when)

    assert second.ledger == []
    assert second.state.points_balance == 100


def test_given_an_old_copy_of_a_spin_then_it_is_never_applied_again():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), config=config)

    decision = decide(state, spun("p100", at(minutes=1)), config, at(hours=1))

    assert decision.ledger == []
    assert len(decision.state.rewards.spins["daily"]) == 1


def test_given_a_badge_prize_then_the_badge_is_granted():
    config = game_config(GRANT_RULE, wheels=[wheel("daily", prize("b", badge="lucky"))])
    state = _state_with(deposit_of(10), config=config)

    decision = decide(state, spun("b", at(minutes=1)), config, at(minutes=1))

    assert "lucky" in decision.state.badges


def test_given_a_spins_prize_then_spins_of_the_other_wheel_are_granted():
    config = game_config(
        GRANT_RULE,
        wheels=[
            wheel("daily", prize("more", spins={"wheel": "gold", "count": 2})),
            wheel("gold"),
        ],
    )
    state = _state_with(deposit_of(10), config=config)

    decision = decide(state, spun("more", at(minutes=1)), config, at(minutes=1))

    assert len(decision.state.rewards.spins["gold"]) == 2
    assert "daily" not in decision.state.rewards.spins


def test_given_a_self_excluded_player_with_spins_then_a_spin_is_refused_and_audited():
    config = game_config(GRANT_RULE)
    state = _state_with(deposit_of(10), excluded(at(minutes=1)), config=config)

    decision = decide(state, spun("p100", at(minutes=2)), config, at(minutes=2))

    assert decision.ledger == []
    assert len(decision.state.rewards.spins["daily"]) == 1
    assert [a.category for a in decision.audit] == ["suppression"]


# --- purchases -----------------------------------------------------------------------------


def test_given_enough_points_then_a_purchase_spends_them_with_a_ledger_line():
    config = game_config(EARN_RULE, items=[item("voucher", 100)])
    state = _state_with(deposit_of(150), config=config)

    decision = decide(state, purchased("voucher", 100, at(minutes=1)), config, at(minutes=1))

    assert [(e.kind, e.points, e.balance_after) for e in decision.ledger] == [("spend", -100, 50)]
    assert decision.state.rewards.bought == {"voucher": 1}
    published = [o.effect.detail_type for o in decision.outbox if o.effect.kind == "publish"]
    assert published == ["engage.store.purchased"]


def test_given_too_few_points_then_a_purchase_changes_nothing():
    config = game_config(EARN_RULE, items=[item("voucher", 100)])
    state = _state_with(deposit_of(99), config=config)

    decision = decide(state, purchased("voucher", 100, at(minutes=1)), config, at(minutes=1))

    assert decision.ledger == []
    assert decision.state.points_balance == 99
    assert "needs 100 points" in str(decision.trace)


def test_given_a_per_player_limit_then_the_next_purchase_is_refused():
    config = game_config(EARN_RULE, items=[item("voucher", 10, per_player=1)])
    state = _state_with(deposit_of(100), config=config)
    first = decide(state, purchased("voucher", 10, at(minutes=1)), config, at(minutes=1))

    second = decide(first.state, purchased("voucher", 10, at(minutes=2)), config, at(minutes=2))

    assert second.ledger == []
    assert "at most 1 per player" in str(second.trace)


def test_given_an_item_giving_spins_then_buying_it_grants_them():
    config = game_config(EARN_RULE, items=[item("spins", 10, spins={"wheel": "daily", "count": 3})])
    state = _state_with(deposit_of(100), config=config)

    decision = decide(state, purchased("spins", 10, at(minutes=1)), config, at(minutes=1))

    assert len(decision.state.rewards.spins["daily"]) == 3


def test_given_a_new_player_then_the_rewards_field_is_not_stored():
    state = PlayerState.new(PLAYER)

    assert "rewards" not in state.model_dump_json(exclude_defaults=True)
