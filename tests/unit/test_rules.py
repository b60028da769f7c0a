"""Rule validation (field path + reason) and the compiled, indexed rule set."""

import pytest
from pydantic import ValidationError

from shared.domain.core.config import build_config, parse_rule
from shared.domain.language.validation import describe_validation_error
from tests.builders import template


def refusal(raw) -> str:
    with pytest.raises(ValidationError) as info:
        parse_rule(raw)
    return describe_validation_error(info.value)


BASE = {
    "rule_id": "r1",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"points": 5}}],
}


def test_a_minimal_rule_is_accepted():
    assert parse_rule(BASE).rule_id == "r1"


def test_an_unknown_action_is_refused_naming_the_action_list():
    reason = refusal({**BASE, "then": [{"grant_bonus": {"amount": 5}}]})
    assert "then.0" in reason
    assert "award_points, send, schedule, cancel_timer" in reason


def test_an_unknown_detail_type_is_refused():
    reason = refusal({**BASE, "on": ["wallet.deposit_succeded"]})
    assert reason.startswith("on:")
    assert "wallet.deposit_succeded" in reason


def test_an_invalid_pattern_is_refused_with_its_path_inside_the_pattern():
    reason = refusal({**BASE, "match": {"player": {"deposit_count": [{"numeric": [">>", 3]}]}}})
    assert "match.player.deposit_count" in reason


def test_a_pattern_testing_something_other_than_event_or_player_is_refused():
    reason = refusal({**BASE, "match": {"detail": {"amount": [5]}}})
    assert "may only test 'event' and 'player'" in reason


def test_award_points_needs_either_fixed_points_or_rate_and_field():
    reason = refusal(
        {**BASE, "then": [{"award_points": {"points": 5, "rate": "1", "of": "amount"}}]}
    )
    assert "then.0.award_points" in reason


def test_award_points_of_a_field_the_event_lacks_is_refused():
    reason = refusal(
        {
            **BASE,
            "on": ["player.logged_in"],
            "then": [{"award_points": {"rate": "1", "of": "amount"}}],
        }
    )
    assert "player.logged_in" in reason


def test_a_timer_shorter_than_a_minute_is_refused():
    reason = refusal(
        {
            **BASE,
            "then": [
                {
                    "schedule": {
                        "timer": "t",
                        "after": "PT10S",
                        "then": [{"cancel_timer": {"timer": "x"}}],
                    }
                }
            ],
        }
    )
    assert "then.0.schedule.after" in reason


def test_a_year_long_duration_is_refused_because_its_length_is_ambiguous():
    reason = refusal({**BASE, "limit": {"per_player": 1, "period": "P1Y"}})
    assert "limit.period" in reason


def test_extra_fields_are_refused_so_typos_do_not_pass_silently():
    reason = refusal({**BASE, "enabeld": False})
    assert "enabeld" in reason


def test_a_rule_sending_a_template_that_does_not_exist_is_skipped_and_reported():
    snapshot = build_config(
        1, [{**BASE, "then": [{"send": {"template": "nope"}}]}], [template("hello")]
    )
    assert len(snapshot.rules) == 0
    assert "then.0.send.template" in str(snapshot.problems[0])


def test_one_bad_rule_does_not_stop_the_others_from_compiling():
    snapshot = build_config(1, [BASE, {"rule_id": "bad"}, "not even an object"], [])
    assert len(snapshot.rules) == 1
    assert {p.item_id for p in snapshot.problems} == {"bad", "?"}


def test_disabled_rules_are_not_evaluated():
    snapshot = build_config(1, [{**BASE, "enabled": False}], [])
    assert len(snapshot.rules) == 0


def test_matching_rules_come_back_by_priority_then_id():
    rules = [
        {**BASE, "rule_id": "b", "priority": 5},
        {**BASE, "rule_id": "a", "priority": 5},
        {**BASE, "rule_id": "c", "priority": 1, "match": {"event": {"currency": ["EUR"]}}},
    ]
    snapshot = build_config(1, rules, [])
    hits = snapshot.rules.matching(
        "wallet.deposit_succeeded", {"event": {"currency": "EUR"}, "player": {}}
    )
    assert [r.rule_id for r in hits] == ["c", "a", "b"]


def test_rules_for_other_detail_types_are_not_candidates():
    snapshot = build_config(1, [BASE], [])
    assert snapshot.rules.matching("player.logged_in", {"event": {}, "player": {}}) == []


def test_template_locale_falls_back_to_language_then_default():
    snapshot = build_config(1, [], [template("t", locale="en"), template("t", locale="uk")])
    assert snapshot.template("t", "email", "uk-UA").locale == "uk"
    assert snapshot.template("t", "email", "ru").locale == "en"


def test_a_template_with_an_unknown_variable_is_refused():
    snapshot = build_config(1, [], [template("t", subject="Hi {{ password }}")])
    assert "unknown variables ['password']" in str(snapshot.problems[0])


def _timer(name: str) -> dict[str, object]:
    return {"schedule": {"timer": name, "after": "PT1H", "then": [{"award_points": {"points": 1}}]}}


def test_a_timer_name_armed_by_the_rule_and_a_variant_is_refused_at_the_variants_path():
    variants = [{"variant": "b", "then": [_timer("later")]}]
    reason = refusal(
        {
            **BASE,
            "then": [_timer("later")],
            "experiment": {"experiment_id": "x", "variants": variants},
        }
    )
    assert "experiment.variants.0.then.0.schedule.timer: 'later' is also armed at then.0" in reason


def test_a_variants_own_timer_is_compiled_so_its_fire_finds_the_actions():
    variants = [{"variant": "b", "then": [_timer("b-later")]}]
    snapshot = build_config(
        1, [{**BASE, "experiment": {"experiment_id": "x", "variants": variants}}], []
    )
    compiled = snapshot.rules.get("r1")
    assert compiled is not None
    assert set(compiled.timers) == {"b-later"}


def test_a_variant_template_missing_for_the_rules_channel_is_a_config_problem():
    rule = {
        **BASE,
        "then": [{"send": {"template": "hello"}}],
        "experiment": {
            "experiment_id": "x",
            "variants": [{"variant": "b", "templates": {"hello": "hello-b"}}],
        },
    }
    snapshot = build_config(1, [rule], [template("hello")])
    assert [p.reason for p in snapshot.problems] == [
        "experiment.variants.0.templates.hello: no email template 'hello-b'"
    ]
