"""Game config (tier programs, badges, ...) in the console: same validation and references."""

from __future__ import annotations

from .conftest import call, rule

PROGRAM = {
    "program_id": "club",
    "tiers": [
        {"tier_id": "silver", "name": "Silver", "min_points": 100},
        {"tier_id": "gold", "name": "Gold", "min_points": 500},
    ],
}


def test_the_console_lists_every_game_kind(stack):
    names = {k["name"] for k in call("GET", "/api/kinds", role="viewer").json}

    assert {"points", "tiers", "badge", "mission", "leaderboard", "wheel", "store_item"} <= names


def test_a_tier_program_out_of_order_is_refused_with_its_field(stack):
    bad = {**PROGRAM, "tiers": list(reversed(PROGRAM["tiers"]))}

    answer = call("POST", "/api/config/tiers", {"body": bad})

    assert answer.status == 422
    assert any("min_points increasing" in m for m in answer.field_errors.values())


def test_a_valid_tier_program_is_stored(stack):
    answer = call("POST", "/api/config/tiers", {"body": PROGRAM})

    assert answer.status == 201
    assert answer.json["item_id"] == "club"


def test_a_rule_granting_a_badge_that_does_not_exist_is_refused(stack):
    body = rule(then=[{"grant_badge": {"badge": "no-such-badge"}}])

    answer = call("POST", "/api/config/rule", {"body": body})

    assert answer.status == 422
    assert "create the badge first" in answer.field_errors["then.0.grant_badge.badge"]


def test_a_rule_granting_an_existing_badge_is_accepted(stack):
    call("POST", "/api/config/badge", {"body": {"badge_id": "vip", "name": "VIP"}})

    answer = call(
        "POST", "/api/config/rule", {"body": rule(then=[{"grant_badge": {"badge": "vip"}}])}
    )

    assert answer.status == 201


def test_the_control_group_setting_is_validated_with_its_field(stack):
    answer = call(
        "POST",
        "/api/config/experiments",
        {"body": {"policy_id": "experiments", "control_group_percent": "80"}},
    )

    assert answer.status == 422
    assert "less than or equal to 50" in answer.field_errors["control_group_percent"]


def test_a_five_percent_control_group_is_stored(stack):
    body = {"policy_id": "experiments", "control_group_percent": "5"}

    answer = call("POST", "/api/config/experiments", {"body": body})

    assert answer.status == 201
    assert answer.json["item_id"] == "experiments"


def test_a_rule_with_an_invalid_experiment_is_refused_with_the_field_and_why(stack):
    body = rule(
        experiment={
            "experiment_id": "x",
            "variants": [{"variant": "a", "weight": 0}, {"variant": "holdout"}],
        }
    )

    answer = call("POST", "/api/config/rule", {"body": body})

    assert answer.status == 422
    errors = answer.field_errors
    assert "greater than or equal to 1" in errors["experiment.variants.0.weight"]
    assert "reserved" in errors["experiment.variants.1.variant"]


def test_a_rule_with_a_meaningless_budget_is_refused_with_the_field(stack):
    answer = call("POST", "/api/config/rule", {"body": rule(budget={"period": "day"})})

    assert answer.status == 422
    assert "give 'campaign', 'per_player', or both" in answer.field_errors["budget"]


def test_a_variant_granting_a_badge_that_does_not_exist_is_refused_at_its_path(stack):
    body = rule(
        experiment={
            "experiment_id": "x",
            "variants": [{"variant": "b", "then": [{"grant_badge": {"badge": "nope"}}]}],
        }
    )

    answer = call("POST", "/api/config/rule", {"body": body})

    assert answer.status == 422
    assert (
        "create the badge first"
        in answer.field_errors["experiment.variants.0.then.0.grant_badge.badge"]
    )


def test_a_variant_swapping_a_template_the_rule_never_sends_is_refused(stack):
    body = rule(
        experiment={
            "experiment_id": "x",
            "variants": [{"variant": "b", "templates": {"ghost": "other"}}],
        }
    )

    answer = call("POST", "/api/config/rule", {"body": body})

    assert answer.status == 422
    assert (
        "sends no template 'ghost'" in answer.field_errors["experiment.variants.0.templates.ghost"]
    )
