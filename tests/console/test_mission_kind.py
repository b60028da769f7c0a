"""Missions are a console kind: validated with field paths, and rules may join them."""

import pytest

from shared.console.errors import Invalid
from shared.console.kinds import KINDS, validate_document
from tests.unit.test_missions import explorer


def test_a_mission_is_a_console_kind_that_can_be_enabled():
    assert KINDS["mission"].can_enable


def test_an_invalid_mission_is_refused_with_the_field_path():
    body = explorer(steps=[{"step_id": "s", "on": ["game.round_finished"], "counter": "sum"}])
    with pytest.raises(Invalid) as refused:
        validate_document(KINDS["mission"], body)
    assert any("field" in e.message for e in refused.value.errors)


def test_a_reward_badge_that_does_not_exist_is_named():
    mission = validate_document(
        KINDS["mission"], explorer(reward=[{"grant_badge": {"badge": "x"}}])
    )
    references = KINDS["mission"].references
    assert references is not None
    [error] = references(mission, lambda kind: set())
    assert error.path == "reward.0.grant_badge.badge"
