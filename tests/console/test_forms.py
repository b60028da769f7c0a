"""Forms come from the models' JSON Schemas: pickers, help, conditions, and a usable New."""

from __future__ import annotations

import pytest

from shared.console.forms import default_document, form_schema
from shared.console.kinds import KINDS, validate_document
from shared.domain.authoring.rules import Rule
from shared.domain.game.missions import Mission

from .conftest import call


def _find(node, predicate, out=None):
    out = [] if out is None else out
    if isinstance(node, dict):
        if predicate(node):
            out.append(node)
        for value in node.values():
            _find(value, predicate, out)
    elif isinstance(node, list):
        for value in node:
            _find(value, predicate, out)
    return out


def test_a_rule_form_has_pickers_for_templates_badges_wheels_and_detail_types():
    schema = form_schema(Rule)

    pickers = {n["x-picker"] for n in _find(schema, lambda n: "x-picker" in n)}

    assert {"template", "badge", "wheel", "mission", "timer", "detail_type"} <= pickers
    assert schema["properties"]["on"]["items"]["x-picker"] == "detail_type"


def test_conditions_are_drawn_as_a_condition_builder_and_optional_fields_are_flagged():
    schema = form_schema(Rule)

    assert schema["properties"]["match"]["x-widget"] == "condition"
    assert schema["properties"]["match"]["x-nullable"] is True
    timers = _find(schema, lambda n: n.get("title") == "Schedule" and "properties" in n)
    assert timers
    assert timers[0]["properties"]["if"]["x-widget"] == "condition"


def test_the_schema_is_finite_and_refs_are_inlined():
    schema = form_schema(Rule)

    assert not _find(schema, lambda n: "$ref" in n)
    # A timer inside a timer is drawn; deeper nesting is edited as JSON in place.
    assert _find(schema, lambda n: n.get("x-widget") == "json")


def test_fields_without_a_description_get_the_console_help():
    props = form_schema(Rule)["properties"]

    assert "trigger" in props["on"]["description"]
    assert props["priority"]["description"].startswith("Lower runs first")


def test_a_decimal_field_is_a_number_in_the_form():
    award = _find(form_schema(Rule), lambda n: n.get("title") == "AwardPoints")[0]

    assert award["properties"]["rate"]["type"] == "number"


def test_default_document_fills_the_required_fields():
    doc = default_document(form_schema(Mission))

    assert set(doc) >= {"mission_id", "name", "steps"}


class TestFormsApi:
    """Read-only answers: the tests share one stack."""

    @pytest.mark.parametrize("kind", sorted(KINDS))
    def test_new_opens_a_valid_document_for_every_kind_but_never_an_empty_one(
        self, shared_stack, kind
    ):
        answer = call("GET", f"/api/kinds/{kind}/form", role="viewer")

        assert answer.status == 200
        new = answer.json["new"]
        assert new != {}
        assert answer.json["form"]["type"] == "object"
        if kind != "experiments":
            # A starting point that saves as it is (after its id is changed or not).
            validate_document(KINDS[kind], new)

    def test_pickers_list_the_live_config_items(self, shared_stack):
        options = call("GET", "/api/pickers", role="viewer").json

        assert "welcome" in options["options"]["template"]
        assert "daily" in options["options"]["wheel"]
        assert "first-deposit" in options["options"]["badge"]
        assert "no-deposit-3d" in options["options"]["timer"]
        assert "game.round_finished" in options["options"]["detail_type"]
        assert "deposit_count" in options["player_fields"]
        assert "days_since_last_login" in options["player_fields"]
        assert "stake" in options["event_fields"]["game.round_finished"]

    def test_an_unknown_kind_has_no_form(self, shared_stack):
        assert call("GET", "/api/kinds/nope/form", role="viewer").status == 404
