"""Config lifecycle through the API: validation, optimistic locking, audit, publish, rollback."""

from __future__ import annotations

from shared.adapters.config_store import RULE, TEMPLATE

from .conftest import call, envelope, rule, template


def stored_rule_ids(stack) -> set[str]:
    return {r.get("rule_id") for r in stack.runtime.config.raw_items(RULE)}


def test_a_marketer_creates_a_rule_and_everyone_can_read_it(stack):
    created = call("POST", "/api/config/rule", {"body": rule()})

    assert created.status == 201
    assert created.json["version"] == 1
    assert created.json["updated_by"] == "mia"
    listed = call("GET", "/api/config/rule", role="viewer").json
    assert "vip-login" in [i["item_id"] for i in listed["items"]]
    got = call("GET", "/api/config/rule/vip-login", role="viewer").json
    assert got["body"]["then"] == [{"award_points": {"points": 5}}]
    assert got["enabled"] is True


def test_an_invalid_rule_is_refused_with_422_naming_each_field_and_never_stored(stack):
    bad = rule(on=["player.loged_in"], then=[{"award_points": {"points": 0}}])

    answer = call("POST", "/api/config/rule", {"body": bad})

    assert answer.status == 422
    errors = answer.field_errors
    assert "unknown detail-type" in errors["on"]
    assert "greater than or equal to 1" in errors["then.0.award_points.points"]
    assert "vip-login" not in stored_rule_ids(stack)


def test_a_rule_with_an_unknown_action_is_refused_with_its_path(stack):
    answer = call("POST", "/api/config/rule", {"body": rule(then=[{"give_bonus": {}}])})

    assert answer.status == 422
    assert "exactly one key" in answer.field_errors["then.0"]


def test_a_bad_pattern_is_refused_with_the_path_inside_the_pattern(stack):
    answer = call(
        "POST",
        "/api/config/rule",
        {"body": rule(match={"player": {"login_count": [{"numeric": [">>", 3]}]}})},
    )

    assert answer.status == 422
    [(path, message)] = answer.field_errors.items()
    assert path.startswith("match.player.login_count")
    assert message


def test_a_rule_sending_a_template_that_does_not_exist_is_refused(stack):
    body = rule(then=[{"send": {"template": "no-such-template", "channel": "email"}}])

    answer = call("POST", "/api/config/rule", {"body": body})

    assert answer.status == 422
    assert "create the template first" in answer.field_errors["then.0.send.template"]


def test_a_request_without_the_edited_version_is_refused_with_its_field(stack):
    answer = call("PUT", "/api/config/rule/welcome-email", {"body": rule("welcome-email")})

    assert answer.status == 422
    assert "body.version" in answer.field_errors


def test_two_marketers_editing_the_same_rule_the_second_gets_a_conflict(stack):
    # Given both opened version 1 of the rule
    v1 = call("GET", "/api/config/rule/daily-login-points").json
    first = {**v1["body"], "description": "by mia"}
    second = {**v1["body"], "description": "by leo"}
    # When mia saves, then leo saves from the same version
    ok = call(
        "PUT", "/api/config/rule/daily-login-points", {"version": 1, "body": first}, user="mia"
    )
    late = call(
        "PUT", "/api/config/rule/daily-login-points", {"version": 1, "body": second}, user="leo"
    )
    # Then leo gets a conflict that says who changed it, and mia's edit stands
    assert ok.status == 200
    assert ok.json["version"] == 2
    assert late.status == 409
    assert "version 2 by mia" in late.json["message"]
    assert (
        call("GET", "/api/config/rule/daily-login-points").json["body"]["description"] == "by mia"
    )


def test_the_stale_write_is_stopped_by_the_table_condition_not_only_by_the_read_check(stack):
    # Given a change committed between the service's read and its write
    from shared.console import wiring as console_wiring
    from shared.console.errors import Conflict

    admin = console_wiring.services().config
    store = admin._store
    real_get = store.get
    calls = {"n": 0}

    def get_then_race(kind, item_id):
        item = real_get(kind, item_id)
        calls["n"] += 1
        if calls["n"] == 1:
            call(
                "PUT",
                "/api/config/rule/daily-login-points",
                {"version": 1, "body": rule("daily-login-points", description="racer")},
            )
        return item

    store.get = get_then_race
    try:
        # When the slower writer saves on the version it read
        try:
            admin.update("rule", "daily-login-points", rule("daily-login-points"), 1, "slow")
            raised = None
        except Conflict as exc:
            raised = exc
    finally:
        store.get = real_get
    # Then DynamoDB's condition refused it: no silent overwrite
    assert raised is not None
    assert call("GET", "/api/config/rule/daily-login-points").json["body"]["description"] == "racer"


def test_the_id_of_an_item_cannot_change_on_update(stack):
    answer = call(
        "PUT", "/api/config/rule/daily-login-points", {"version": 1, "body": rule("other-id")}
    )

    assert answer.status == 422
    assert "rule_id" in answer.field_errors


def test_creating_an_existing_rule_is_a_conflict(stack):
    answer = call("POST", "/api/config/rule", {"body": rule("welcome-email")})

    assert answer.status == 409


def test_every_change_leaves_an_audit_entry_with_who_when_and_the_diff(stack):
    call("POST", "/api/config/rule", {"body": rule()}, user="mia")
    call(
        "PUT",
        "/api/config/rule/vip-login",
        {"version": 1, "body": rule(then=[{"award_points": {"points": 7}}])},
        user="leo",
    )
    stack.clock.advance(__import__("datetime").timedelta(minutes=5))
    call("POST", "/api/config/rule/vip-login/disable", {"version": 2}, user="ana")
    call("DELETE", "/api/config/rule/vip-login", query={"version": "3"}, user="mia")

    history = call("GET", "/api/config/rule/vip-login/history", role="viewer").json["entries"]

    assert [(e["version"], e["action"], e["actor"]) for e in history] == [
        (4, "delete", "mia"),
        (3, "disable", "ana"),
        (2, "update", "leo"),
        (1, "create", "mia"),
    ]
    assert history[2]["changes"] == [
        {"path": "then.0.award_points.points", "before": 5, "after": 7}
    ]
    assert history[1]["changes"] == [{"path": "enabled", "after": False}]
    assert history[1]["at"] == "2026-11-24T09:05:00+00:00"
    assert history[0]["after"] is None


def test_enable_and_disable_flip_the_flag_and_templates_have_none(stack):
    off = call("POST", "/api/config/rule/welcome-email/disable", {"version": 1})
    on = call("POST", "/api/config/rule/welcome-email/enable", {"version": 2})
    tpl = call("POST", "/api/config/template/welcome%23email%23en/disable", {"version": 1})

    assert off.json["enabled"] is False
    assert on.json["enabled"] is True
    assert on.json["version"] == 3
    assert tpl.status == 422


def test_a_deleted_rule_is_gone_from_the_engine_items_and_a_recreated_one_continues_its_history(
    stack,
):
    call("DELETE", "/api/config/rule/welcome-email", query={"version": "1"})
    assert "welcome-email" not in stored_rule_ids(stack)

    again = call(
        "POST", "/api/config/rule", {"body": {**rule("welcome-email"), "description": "back"}}
    )

    assert again.status == 201
    assert again.json["version"] == 3
    assert [
        e["action"] for e in call("GET", "/api/config/rule/welcome-email/history").json["entries"]
    ] == [
        "create",
        "delete",
    ]


def test_templates_are_managed_by_their_composite_id(stack):
    created = call("POST", "/api/config/template", {"body": template()})
    assert created.status == 201
    assert created.json["item_id"] == "vip#email#en"

    bad = call(
        "PUT",
        "/api/config/template/vip%23email%23en",
        {"version": 1, "body": template(subject="Hi {{ nick }}")},
    )

    assert bad.status == 422
    assert "unknown variables" in bad.field_errors["subject"]
    assert {i.get("template_id") for i in stack.runtime.config.raw_items(TEMPLATE)} >= {"vip"}


def test_an_unknown_kind_is_404(stack):
    assert call("GET", "/api/config/casino").status == 404


def test_publish_bumps_the_config_version_and_records_the_item_versions(stack):
    call("POST", "/api/config/rule", {"body": rule()})

    published = call("POST", "/api/publish", {"expected_version": 1, "note": "vip points"})

    assert published.status == 200
    assert published.json["config_version"] == 2
    assert published.json["items"]["rule"]["vip-login"] == 1
    assert stack.runtime.config.published_version() == 2
    history = call("GET", "/api/publications", role="viewer").json
    assert history["published_version"] == 2
    assert history["publications"][0]["note"] == "vip points"


def test_publishing_over_someone_elses_publish_is_a_conflict(stack):
    call("POST", "/api/publish", {"expected_version": 1})

    late = call("POST", "/api/publish", {"expected_version": 1})

    assert late.status == 409
    assert stack.runtime.config.published_version() == 2


def test_publish_refuses_when_an_item_written_behind_the_consoles_back_is_bad(stack):
    stack.runtime.config.put_raw(RULE, "hand-made", '{"rule_id": "hand-made", "on": ["nope"]}')

    answer = call("POST", "/api/publish", {})

    assert answer.status == 422
    assert "rule.hand-made" in answer.field_errors
    assert stack.runtime.config.published_version() == 1


def test_rolling_back_restores_the_published_set_and_publishes_it(stack):
    # Given version 2 publishes vip-login at 5 points
    call("POST", "/api/config/rule", {"body": rule()})
    call("POST", "/api/publish", {})
    # And version 3 changes it to 9 points, adds a template and deletes welcome-email
    call(
        "PUT",
        "/api/config/rule/vip-login",
        {"version": 1, "body": rule(then=[{"award_points": {"points": 9}}])},
    )
    call("POST", "/api/config/template", {"body": template()})
    call("DELETE", "/api/config/rule/welcome-email", query={"version": "1"})
    call("POST", "/api/publish", {})

    # When a marketer rolls back to version 2
    back = call("POST", "/api/publications/2/rollback", user="ana")

    # Then version 4 is live with version 2's content
    assert back.status == 200
    assert back.json["config_version"] == 4
    assert back.json["note"] == "rollback to config version 2"
    assert call("GET", "/api/config/rule/vip-login").json["body"]["then"] == [
        {"award_points": {"points": 5}}
    ]
    assert "welcome-email" in stored_rule_ids(stack)
    assert call("GET", "/api/config/template/vip%23email%23en").status == 404
    assert stack.runtime.config.published_version() == 4
    # And the rollback itself is in each item's history
    assert call("GET", "/api/config/rule/vip-login/history").json["entries"][0]["actor"] == "ana"


def test_rolling_back_to_the_starter_publication_restores_it(stack):
    # Given the starter set is version 1 and a marketer changed and published it since
    call("PUT", "/api/config/rule/welcome-email", {"version": 1, "body": rule("welcome-email")})
    call("POST", "/api/config/rule", {"body": rule()})
    call("POST", "/api/publish", {})

    # When they roll back to version 1
    answer = call("POST", "/api/publications/1/rollback")

    # Then the starter items are back and live as version 3
    assert answer.status == 200, answer.text
    assert answer.json["config_version"] == 3
    assert "vip-login" not in stored_rule_ids(stack)
    welcome = call("GET", "/api/config/rule/welcome-email").json
    assert welcome["body"]["then"][0]["send"]["template"] == "welcome"
    assert welcome["status"] == "live"


def test_rolling_back_to_a_version_not_published_by_the_console_says_why(stack):
    # Given a version published outside the console (`engage rules load`): no record
    stack.runtime.config.publish()

    answer = call("POST", "/api/publications/2/rollback")

    assert answer.status == 404
    assert "outside the console" in answer.json["message"]


def test_segments_plug_into_the_same_lifecycle(stack):
    segment = {
        "segment_id": "high-rollers",
        "match": {"player": {"deposit_count": [{"numeric": [">=", 5]}]}},
    }

    created = call("POST", "/api/config/segment", {"body": segment})
    bad = call(
        "POST",
        "/api/config/segment",
        {"body": {**segment, "segment_id": "x", "match": {"event": {}}}},
    )
    disabled = call("POST", "/api/config/segment/high-rollers/disable", {"version": 1})

    assert created.status == 201
    assert bad.status == 422
    assert "may only test 'player'" in bad.field_errors["match"]
    assert disabled.json["enabled"] is False
    assert call("POST", "/api/publish", {}).json["items"]["segment"] == {"high-rollers": 2}


def test_a_bad_item_written_behind_the_consoles_back_is_shown_and_can_be_deleted(stack):
    # Given a hand-written item without a version that the engine skips
    stack.runtime.config.put_raw(RULE, "hand-made", '{"rule_id": "hand-made", "on": ["nope"]}')
    listed = {i["item_id"]: i for i in call("GET", "/api/config/rule").json["items"]}
    assert listed["hand-made"]["version"] == 0
    assert "unknown detail-type" in listed["hand-made"]["problems"][0]["message"]

    # When a marketer deletes it (the version they saw: 0)
    deleted = call("DELETE", "/api/config/rule/hand-made", query={"version": "0"})

    # Then it is gone, audited, and publishing works again
    assert deleted.status == 200
    assert "hand-made" not in stored_rule_ids(stack)
    assert (
        call("GET", "/api/config/rule/hand-made/history").json["entries"][0]["action"] == "delete"
    )
    assert call("POST", "/api/publish", {}).status == 200


def test_a_published_change_reaches_the_engine_on_its_next_batch_and_an_unpublished_one_does_not(
    stack,
):
    from datetime import timedelta

    def log_in(day: int) -> None:
        login = envelope("player.logged_in")
        login["detail"]["event_id"] = f"login-{day}"
        login["detail"]["occurred_at"] = f"2025-03-{15 + day}T20:04:11+02:00"
        stack.runtime.put_events([login])
        stack.runtime.pump()
        stack.clock.advance(timedelta(minutes=1))

    def points_of_last_login() -> int:
        points: int = stack.runtime.players.ledger("p-1001")[-1].points
        return points

    log_in(0)
    assert points_of_last_login() == 10
    # When a marketer edits the rule but does not publish
    edited = rule("daily-login-points", then=[{"award_points": {"points": 99}}])
    call("PUT", "/api/config/rule/daily-login-points", {"version": 1, "body": edited})
    log_in(1)
    # Then the engine keeps the published config
    assert points_of_last_login() == 10
    # When it is published
    call("POST", "/api/publish", {})
    log_in(2)
    # Then the next batch uses it
    assert points_of_last_login() == 99


def test_a_template_with_another_tools_placeholder_is_refused_with_the_field(stack):
    bad = call("POST", "/api/config/template", {"body": template(text="Hi *|FNAME|*")})

    assert bad.status == 422
    assert "write {{ first_name }}" in bad.field_errors["text"]


def test_a_long_sms_template_is_saved_with_a_warning_about_its_segments(stack):
    sms = {
        "template_id": "promo",
        "channel": "sms",
        "text": "Hi {{ first_name }}, " + "a" * 200,
    }

    saved = call("POST", "/api/config/template", {"body": sms})

    assert saved.status == 201
    (warning,) = saved.json["warnings"]
    assert warning["path"] == "text"
    assert "2 segments" in warning["message"]


def test_the_engine_runs_the_published_version_never_a_draft_saved_since(stack):
    # Given a rule published at 5 points, then edited to 500 and a new rule saved, unpublished
    from shared.adapters.config_store import ConfigStore
    from shared.services.config_cache import ConfigCache

    call("POST", "/api/config/rule", {"body": rule(then=[{"award_points": {"points": 5}}])})
    published = call("POST", "/api/publish", {"expected_version": 1})
    assert published.status == 200, published.text
    call(
        "PUT",
        "/api/config/rule/vip-login",
        {"version": 1, "body": rule(then=[{"award_points": {"points": 500}}])},
    )
    call("POST", "/api/config/rule", {"body": rule("draft-only")})

    # When an engine loads the config
    ddb = stack.runtime.clients.client("dynamodb")
    snapshot = ConfigCache(ConfigStore(stack.resources.config_table, ddb)).current()

    # Then it runs what was published: 5 points, and no draft rule
    live = snapshot.rules.get("vip-login")
    assert live is not None
    assert live.rule.then[0].award_points.points == 5
    assert snapshot.rules.get("draft-only") is None
    # and the starter rules (live as the seed stored them, then republished) are all there
    assert snapshot.rules.get("welcome-email") is not None
