"""Safe publishing: pending changes with diffs and authors, publishing a selection, live and
draft markers, and refusing to take away what an enabled item still needs."""

from __future__ import annotations

from shared.services.config_cache import ConfigCache

from .conftest import call, rule, template


def _pending(kind: str | None = None):
    changes = call("GET", "/api/changes", role="viewer").json["changes"]
    return {(c["kind"], c["item_id"]): c for c in changes if kind is None or c["kind"] == kind}


def test_right_after_the_starter_publication_nothing_is_pending_and_every_item_is_live(stack):
    assert _pending() == {}
    items = call("GET", "/api/config/rule", role="viewer").json["items"]
    assert {i["status"] for i in items} == {"live"}


def test_a_draft_a_new_item_and_a_deletion_are_listed_with_diffs_and_authors(stack):
    # Given ana edits a live rule, bo adds one and deletes another
    call(
        "PUT",
        "/api/config/rule/welcome-email",
        {"version": 1, "body": {**rule("welcome-email"), "description": "edited"}},
        user="ana",
    )
    call("POST", "/api/config/rule", {"body": rule()}, user="bo")
    call("DELETE", "/api/config/rule/deposit-cancels-nudge", query={"version": "1"}, user="bo")

    pending = _pending("rule")

    draft = pending[("rule", "welcome-email")]
    assert draft["change"] == "draft"
    assert (draft["live_version"], draft["draft_version"]) == (1, 2)
    assert draft["authors"] == ["ana"]
    assert {"path": "description", "before": draft["changes"][0]["before"], "after": "edited"} in (
        draft["changes"]
    )
    assert pending[("rule", "vip-login")]["change"] == "new"
    assert pending[("rule", "vip-login")]["authors"] == ["bo"]
    assert pending[("rule", "deposit-cancels-nudge")]["change"] == "deleted"
    # And the lists mark each item against the live publication
    status = {i["item_id"]: i["status"] for i in call("GET", "/api/config/rule").json["items"]}
    assert status["welcome-email"] == "draft"
    assert status["vip-login"] == "new"
    assert status["deposit-points"] == "live"


def test_publishing_a_selection_makes_only_that_change_live(stack):
    # Given two pending changes
    call("POST", "/api/config/rule", {"body": rule()})
    call("POST", "/api/config/rule", {"body": rule("other-login")})

    # When only vip-login is published
    answer = call("POST", "/api/publish", {"changes": [{"kind": "rule", "item_id": "vip-login"}]})

    # Then version 2 has it and not the other, which stays pending
    assert answer.status == 200, answer.text
    assert answer.json["items"]["rule"]["vip-login"] == 1
    assert "other-login" not in answer.json["items"]["rule"]
    assert list(_pending()) == [("rule", "other-login")]
    # And the engine runs exactly that set
    live = ConfigCache(stack.runtime.config).current()
    assert live.rules.get("vip-login") is not None
    assert live.rules.get("other-login") is None


def test_an_unselected_draft_stays_at_its_live_version_when_others_are_published(stack):
    call(
        "PUT",
        "/api/config/rule/welcome-email",
        {"version": 1, "body": {**rule("welcome-email"), "description": "draft"}},
    )
    call("POST", "/api/config/rule", {"body": rule()})

    answer = call("POST", "/api/publish", {"changes": [{"kind": "rule", "item_id": "vip-login"}]})

    assert answer.json["items"]["rule"]["welcome-email"] == 1
    assert _pending()[("rule", "welcome-email")]["change"] == "draft"


def test_a_selection_naming_no_pending_change_is_refused_with_the_field(stack):
    answer = call(
        "POST", "/api/publish", {"changes": [{"kind": "rule", "item_id": "welcome-email"}]}
    )

    assert answer.status == 422
    assert "no pending change" in answer.field_errors["changes.0"]
    assert stack.runtime.config.published_version() == 1


def test_a_selection_that_would_leave_the_live_set_broken_is_refused_by_name(stack):
    # Given a new template and a new rule that sends it
    call("POST", "/api/config/template", {"body": template()})
    sender = rule("vip-mail", then=[{"send": {"template": "vip", "channel": "email"}}])
    assert call("POST", "/api/config/rule", {"body": sender}).status == 201

    # When only the rule is published, without its template
    answer = call("POST", "/api/publish", {"changes": [{"kind": "rule", "item_id": "vip-mail"}]})

    # Then nothing is published and the rule is named
    assert answer.status == 422
    assert "rule.vip-mail" in answer.field_errors
    assert stack.runtime.config.published_version() == 1


def test_deleting_a_badge_an_enabled_rule_grants_is_refused_naming_the_rule(stack):
    answer = call("DELETE", "/api/config/badge/first-deposit", query={"version": "1"})

    assert answer.status == 409
    assert answer.json["error"] == "in_use"
    assert "rule 'first-deposit-badge'" in answer.json["message"]
    assert "rule.first-deposit-badge" in answer.field_errors
    assert call("GET", "/api/config/badge/first-deposit").status == 200


def test_disabling_a_wheel_a_rule_grants_spins_of_is_refused(stack):
    answer = call("POST", "/api/config/wheel/daily/disable", {"version": 1})

    assert answer.status == 409
    assert any("wheel 'daily'" in m for m in answer.field_errors.values())


def test_deleting_the_last_locale_of_a_used_template_is_refused_but_another_locale_is_fine(stack):
    uk = call("DELETE", "/api/config/template/welcome%23email%23uk", query={"version": "1"})
    ru = call("DELETE", "/api/config/template/welcome%23email%23ru", query={"version": "1"})
    en = call("DELETE", "/api/config/template/welcome%23email%23en", query={"version": "1"})

    assert (uk.status, ru.status) == (200, 200), uk.text
    assert en.status == 409
    assert "rule.welcome-email" in en.field_errors


def test_a_referrer_that_is_disabled_no_longer_holds_its_items(stack):
    rules = call("GET", "/api/config/rule").json["items"]
    users = [r for r in rules if "wheel" in str(r["body"]) and "daily" in str(r["body"])]
    for r in users:
        assert (
            call(
                "POST", f"/api/config/rule/{r['item_id']}/disable", {"version": r["version"]}
            ).status
            == 200
        )
    wheel = call("GET", "/api/config/wheel/daily").json
    refs = call("GET", "/api/config/store_item").json["items"]
    blocking = [i for i in refs if "daily" in str(i["body"])]
    for i in blocking:
        call("POST", f"/api/config/store_item/{i['item_id']}/disable", {"version": i["version"]})

    answer = call("POST", "/api/config/wheel/daily/disable", {"version": wheel["version"]})

    assert answer.status == 200, answer.text


def test_the_activity_feed_shows_who_changed_what_and_the_publishes(stack):
    call("POST", "/api/config/rule", {"body": rule()}, user="ana")
    call("POST", "/api/publish", {"note": "vip"}, user="bo")

    entries = call("GET", "/api/activity", role="viewer").json["entries"]

    assert entries[0]["action"] == "publish"
    assert entries[0]["actor"] == "bo"
    assert entries[0]["note"] == "vip"
    created = [e for e in entries if e["item_id"] == "vip-login"]
    assert created
    assert created[0]["actor"] == "ana"
    assert created[0]["action"] == "create"
    assert any(e["action"] == "publish" and e["actor"] == "starter" for e in entries)
