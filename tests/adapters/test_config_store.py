"""ConfigStore and ConfigCache against moto DynamoDB: validated writes, survivable bad items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from shared.adapters.config_store import RULE, TEMPLATE, ConfigStore
from shared.domain.core.config import ConfigProblem
from shared.domain.game.game_config import GAME_KINDS
from shared.errors import ConflictError
from shared.services.config_cache import ConfigCache
from tests.adapters.builders import NOW, rule, template
from tests.adapters.conftest import CONFIG_TABLE


def stored(ddb: Any, kind: str, item_id: str) -> dict[str, Any] | None:
    resp = ddb.get_item(TableName=CONFIG_TABLE, Key={"pk": {"S": kind}, "sk": {"S": item_id}})
    item: dict[str, Any] | None = resp.get("Item")
    return item


class CountingConfigStore(ConfigStore):
    """Counts the item queries a cache makes (the expensive part of a reload)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_queries = 0

    def raw_items(self, kind: str) -> list[dict[str, Any]]:
        self.item_queries += 1
        return super().raw_items(kind)


@pytest.fixture
def counting_store(ddb, config_table) -> CountingConfigStore:
    return CountingConfigStore(config_table, ddb)


# --- put_rule / put_template ------------------------------------------------------------


def test_given_an_invalid_rule_when_put_then_validation_error_names_the_field(config_store):
    bad = rule()
    bad["then"] = [{"award_points": {"points": 0}}]

    with pytest.raises(ValidationError) as raised:
        config_store.put_rule(bad, actor="ana", now=NOW)

    assert [e["loc"][-1] for e in raised.value.errors()] == ["points"]
    assert raised.value.errors()[0]["loc"][:2] == ("then", 0)


def test_given_an_invalid_rule_when_put_then_nothing_is_stored(config_store, ddb):
    bad = rule()
    bad["on"] = ["player.teleported"]

    with pytest.raises(ValidationError):
        config_store.put_rule(bad, actor="ana", now=NOW)

    assert stored(ddb, RULE, "daily-login-points") is None
    assert config_store.raw_items(RULE) == []


def test_given_a_valid_rule_when_put_then_its_json_body_and_audit_fields_are_stored(
    config_store, ddb
):
    config_store.put_rule(rule(), actor="ana", now=NOW)

    item = stored(ddb, RULE, "daily-login-points")
    assert item is not None
    assert json.loads(item["body"]["S"]) == rule()
    assert item["version"] == {"N": "1"}
    assert item["updated_by"] == {"S": "ana"}
    assert item["updated_at"] == {"S": NOW.isoformat()}


def test_given_a_stored_rule_when_put_again_then_the_version_increments_and_audit_follows(
    config_store, ddb
):
    config_store.put_rule(rule(points=10), actor="ana", now=NOW)

    later = NOW + timedelta(hours=1)
    config_store.put_rule(rule(points=25), actor="bo", now=later)

    item = stored(ddb, RULE, "daily-login-points")
    assert item is not None
    assert json.loads(item["body"]["S"]) == rule(points=25)
    assert item["version"] == {"N": "2"}
    assert item["updated_by"] == {"S": "bo"}
    assert item["updated_at"] == {"S": later.isoformat()}


def test_given_a_rule_with_a_decimal_rate_when_put_then_it_reads_back_exact_and_valid(
    config_store,
):
    proportional = {
        "rule_id": "deposit-points",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"rate": Decimal("0.125"), "of": "amount"}}],
    }

    config_store.put_rule(proportional, actor="ana", now=NOW)

    (body,) = config_store.raw_items(RULE)
    assert Decimal(body["then"][0]["award_points"]["rate"]) == Decimal("0.125")


def test_given_a_valid_template_when_put_then_it_is_stored_under_id_channel_and_locale(
    config_store, ddb
):
    config_store.put_template(template("welcome", "uk"), actor="ana", now=NOW)

    item = stored(ddb, TEMPLATE, "welcome#email#uk")
    assert item is not None
    assert json.loads(item["body"]["S"]) == template("welcome", "uk")
    assert item["version"] == {"N": "1"}
    assert item["updated_by"] == {"S": "ana"}
    assert item["updated_at"] == {"S": NOW.isoformat()}


def test_given_a_stored_template_when_put_again_then_the_version_increments(config_store, ddb):
    config_store.put_template(template(), actor="ana", now=NOW)
    changed = {**template(), "subject": "Hello!"}

    config_store.put_template(changed, actor="bo", now=NOW + timedelta(minutes=1))

    item = stored(ddb, TEMPLATE, "welcome#email#en")
    assert item is not None
    assert item["version"] == {"N": "2"}
    assert json.loads(item["body"]["S"])["subject"] == "Hello!"
    assert item["updated_by"] == {"S": "bo"}


def test_given_a_template_with_an_unknown_variable_when_put_then_refused_and_not_stored(
    config_store,
):
    bad = {**template(), "text": "Your password is {{ password }}"}

    with pytest.raises(ValidationError, match="password"):
        config_store.put_template(bad, actor="ana", now=NOW)

    assert config_store.raw_items(TEMPLATE) == []


# --- publish ----------------------------------------------------------------------------


def test_given_nothing_published_when_reading_the_version_then_it_is_0(config_store):
    assert config_store.published_version() == 0


def test_given_publishes_when_reading_the_version_then_each_publish_bumped_it(config_store):
    first = config_store.publish()
    second = config_store.publish()

    assert (first, second) == (1, 2)
    assert config_store.published_version() == 2


def test_given_the_current_version_as_expected_when_publishing_then_it_is_bumped(config_store):
    config_store.publish()

    assert config_store.publish(expected=1) == 2
    assert config_store.published_version() == 2


def test_given_nothing_published_when_publishing_with_expected_0_then_version_is_1(
    config_store,
):
    assert config_store.publish(expected=0) == 1


def test_given_a_wrong_expected_version_when_publishing_then_conflict_and_version_unchanged(
    config_store,
):
    config_store.publish()
    config_store.publish()

    with pytest.raises(ConflictError):
        config_store.publish(expected=1)

    assert config_store.published_version() == 2


def test_given_nothing_published_when_publishing_with_a_nonzero_expected_then_conflict(
    config_store,
):
    with pytest.raises(ConflictError):
        config_store.publish(expected=3)

    assert config_store.published_version() == 0


# --- raw_items --------------------------------------------------------------------------


def test_given_rules_and_templates_when_reading_raw_items_then_each_kind_gets_its_bodies(
    config_store,
):
    config_store.put_rule(rule("daily-login-points"), actor="ana", now=NOW)
    config_store.put_rule(rule("weekend-login-points", points=20), actor="ana", now=NOW)
    config_store.put_template(template(), actor="ana", now=NOW)

    rules = config_store.raw_items(RULE)
    templates = config_store.raw_items(TEMPLATE)

    assert sorted(rules, key=lambda r: r["rule_id"]) == [
        rule("daily-login-points"),
        rule("weekend-login-points", points=20),
    ]
    assert templates == [template()]


def test_given_a_body_that_is_not_json_when_reading_raw_items_then_it_is_reported_unreadable(
    config_store,
):
    config_store.put_raw(RULE, "hand-edited", "{not json")

    assert config_store.raw_items(RULE) == [{"_unreadable": "hand-edited"}]


def test_given_a_json_body_that_is_not_an_object_when_reading_raw_items_then_it_is_unreadable(
    config_store,
):
    config_store.put_raw(RULE, "a-list", "[1, 2, 3]")

    assert config_store.raw_items(RULE) == [{"_unreadable": "a-list"}]


def test_given_an_item_without_a_body_when_reading_raw_items_then_it_is_unreadable(
    config_store, ddb
):
    ddb.put_item(TableName=CONFIG_TABLE, Item={"pk": {"S": RULE}, "sk": {"S": "bodiless"}})

    assert config_store.raw_items(RULE) == [{"_unreadable": "bodiless"}]


def test_given_a_body_with_fractions_when_reading_raw_items_then_numbers_are_exact_decimals(
    config_store,
):
    config_store.put_raw(RULE, "fractions", '{"rate": 0.1}')

    (body,) = config_store.raw_items(RULE)

    assert body == {"rate": Decimal("0.1")}
    assert isinstance(body["rate"], Decimal)


# --- ConfigCache ------------------------------------------------------------------------


def test_given_bad_raw_items_when_the_cache_loads_then_they_are_reported_and_the_rest_compile(
    config_store,
):
    config_store.put_rule(rule("daily-login-points"), actor="ana", now=NOW)
    config_store.put_raw(RULE, "bad-detail-type", json.dumps({**rule("bad"), "on": ["nope"]}))
    config_store.put_raw(RULE, "hand-edited", "{not json")
    config_store.publish()
    problems: list[ConfigProblem] = []

    snapshot = ConfigCache(config_store, on_problem=problems.append).current()

    assert len(snapshot.rules) == 1
    assert snapshot.rules.get("daily-login-points") is not None
    assert len(problems) == 2
    assert all(p.kind == "rule" for p in problems)
    assert any(p.item_id == "bad" and "on" in p.reason for p in problems)
    assert set(snapshot.problems) == set(problems)


def test_given_an_unreadable_body_when_the_cache_loads_then_the_problem_names_the_item(
    config_store,
):
    config_store.put_raw(RULE, "hand-edited", "{not json")
    config_store.publish()
    problems: list[ConfigProblem] = []

    ConfigCache(config_store, on_problem=problems.append).current()

    assert [p.item_id for p in problems] == ["hand-edited"]


def test_given_an_unchanged_published_version_when_asked_again_then_items_are_not_reread(
    counting_store,
):
    counting_store.put_rule(rule(), actor="ana", now=NOW)
    counting_store.publish()
    cache = ConfigCache(counting_store)

    first = cache.current()
    second = cache.current()

    assert second is first
    # rules, templates, policies, segments and each game kind: once
    assert counting_store.item_queries == 4 + len(GAME_KINDS)


def test_given_a_new_published_version_when_asked_then_items_are_reread(counting_store):
    counting_store.put_rule(rule(), actor="ana", now=NOW)
    counting_store.publish()
    cache = ConfigCache(counting_store)
    cache.current()

    counting_store.publish()
    snapshot = cache.current()

    assert snapshot.version == 2
    assert counting_store.item_queries == 2 * (4 + len(GAME_KINDS))


def test_given_a_rule_saved_but_not_published_when_asked_then_the_cache_does_not_see_it(
    counting_store,
):
    counting_store.put_rule(rule("daily-login-points"), actor="ana", now=NOW)
    counting_store.publish()
    cache = ConfigCache(counting_store)
    cache.current()

    counting_store.put_rule(rule("weekend-login-points"), actor="ana", now=NOW)
    before_publish = cache.current()
    counting_store.publish()
    after_publish = cache.current()

    assert before_publish.rules.get("weekend-login-points") is None
    assert after_publish.rules.get("weekend-login-points") is not None


def test_given_a_bad_item_when_asked_repeatedly_then_it_is_reported_once_per_version(
    config_store,
):
    config_store.put_raw(RULE, "hand-edited", json.dumps({**rule("bad"), "on": ["nope"]}))
    config_store.publish()
    problems: list[ConfigProblem] = []
    cache = ConfigCache(config_store, on_problem=problems.append)

    cache.current()
    cache.current()

    assert len(problems) == 1


T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_given_decimal_numbers_in_a_rule_when_stored_then_they_read_back_as_numbers(config_store):
    from shared.domain.core.config import parse_rule

    rule = {
        "rule_id": "share",
        "on": ["game.round_finished"],
        "match": {"player": {"category_share": {"slots": [{"numeric": [">=", Decimal("0.6")]}]}}},
        "then": [{"award_points": {"rate": Decimal("2"), "of": "stake"}}],
    }
    config_store.put_rule(rule, actor="t", now=T0)
    (stored,) = config_store.raw_items("rule")
    assert stored["match"]["player"]["category_share"]["slots"][0]["numeric"][1] == Decimal("0.6")
    assert parse_rule(stored).rule_id == "share"
