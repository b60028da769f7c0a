"""No write without an authenticated marketer or admin: checked on every write route."""

from __future__ import annotations

import json

import pytest

from shared.console import wiring as console_wiring
from shared.console.api import READ_ONLY_POSTS
from shared.console.roles import Identity, Role, identity_from_claims, parse_groups

from .conftest import call, rule
from .test_users import ADMIN_ROUTES

# Every route that changes something, with a request that would succeed for a marketer.
WRITE_ROUTES = [
    ("POST", "/api/config/rule", {"body": rule("new-rule")}, None),
    (
        "PUT",
        "/api/config/rule/daily-login-points",
        {"version": 1, "body": rule("daily-login-points")},
        None,
    ),
    ("POST", "/api/config/rule/daily-login-points/enable", {"version": 1}, None),
    ("POST", "/api/config/rule/daily-login-points/disable", {"version": 1}, None),
    ("DELETE", "/api/config/rule/daily-login-points", None, {"version": "1"}),
    ("POST", "/api/publish", {}, None),
    ("POST", "/api/publications/2/rollback", None, None),
]
WRITE_IDS = [f"{m} {p}" for m, p, _, _ in WRITE_ROUTES]


def test_the_write_route_table_covers_every_write_route_of_the_api(stack):
    # Given the API's own OpenAPI document
    doc = json.loads(call("GET", "/api/openapi.json", role="viewer").text)
    # When its changing operations are listed (sign-in and the read-only POSTs aside:
    # dry-run, reach and preview compute an answer and write nothing)
    writes = {
        (method.upper(), path)
        for path, ops in doc["paths"].items()
        for method in ops
        if method != "get" and path.startswith("/api/") and path not in READ_ONLY_POSTS
    }
    # Then each is in the table below, so none escapes the 401/403 checks
    templated = {
        ("POST", "/api/config/{kind}"),
        ("PUT", "/api/config/{kind}/{item_id}"),
        ("POST", "/api/config/{kind}/{item_id}/enable"),
        ("POST", "/api/config/{kind}/{item_id}/disable"),
        ("DELETE", "/api/config/{kind}/{item_id}"),
        ("POST", "/api/publish"),
        ("POST", "/api/publications/{version}/rollback"),
    }
    # User management is admin-only, reads included (tests/console/test_users.py).
    admin = {(m, p.replace("mia", "{username}")) for m, p, _ in ADMIN_ROUTES if m != "GET"}
    assert writes == templated | admin
    assert len(WRITE_ROUTES) == len(templated)


@pytest.mark.parametrize(("method", "path", "body", "query"), WRITE_ROUTES, ids=WRITE_IDS)
class TestRefusedWrites:
    """Refused writes change nothing, so these share one stack."""

    def test_a_write_without_identity_is_refused_with_401_and_changes_nothing(
        self, shared_stack, method, path, body, query
    ):
        before = call("GET", "/api/config/rule", role="viewer").json
        answer = call(method, path, body, role=None, query=query)

        assert answer.status == 401
        assert answer.json["error"] == "unauthenticated"
        assert call("GET", "/api/config/rule", role="viewer").json == before

    def test_a_write_by_a_viewer_is_refused_with_403_and_changes_nothing(
        self, shared_stack, method, path, body, query
    ):
        before = call("GET", "/api/config/rule", role="viewer").json
        answer = call(method, path, body, role="viewer", query=query)

        assert answer.status == 403
        assert "marketer" in answer.json["message"]
        assert call("GET", "/api/config/rule", role="viewer").json == before

    def test_a_write_by_someone_in_no_console_group_is_refused_with_403(
        self, shared_stack, method, path, body, query
    ):
        answer = call(method, path, body, role="players-support", query=query)

        assert answer.status == 403


@pytest.mark.parametrize("role", ["marketer", "admin"])
@pytest.mark.parametrize(("method", "path", "body", "query"), WRITE_ROUTES, ids=WRITE_IDS)
def test_a_write_by_a_marketer_or_admin_goes_through(stack, role, method, path, body, query):
    if path.endswith("/rollback"):
        call("POST", "/api/publish", {}, role=role)  # starter is v1; this records v2
    answer = call(method, path, body, role=role, query=query)

    assert answer.status in (200, 201), answer.text


def test_an_invalid_write_request_without_identity_is_still_401_not_422(stack):
    # Authorization runs before request validation: no hints for anonymous callers.
    answer = call("PUT", "/api/config/rule/x", {"nonsense": True}, role=None)

    assert answer.status == 401


def test_reads_need_a_console_role(stack):
    assert call("GET", "/api/config/rule", role=None).status == 401
    assert call("GET", "/api/config/rule", role="guest").status == 403
    assert call("GET", "/api/config/rule", role="viewer").status == 200


def test_the_viewer_may_dry_run_because_it_writes_nothing(stack):
    answer = call(
        "POST",
        "/api/dry-run",
        {
            "rule": rule(),
            "event": {"detail-type": "player.logged_in", "detail": {}},
            "player_id": "p-1",
        },
        role="viewer",
    )

    assert answer.status != 403


def test_groups_arrive_flattened_by_api_gateway_or_as_a_json_array():
    assert parse_groups("[admin marketer]") == ["admin", "marketer"]
    assert parse_groups('["viewer"]') == ["viewer"]
    assert parse_groups(["marketer"]) == ["marketer"]
    assert parse_groups(None) == []


def test_the_strongest_group_wins_and_unknown_groups_give_no_role():
    who = identity_from_claims({"username": "ana", "cognito:groups": "[viewer admin other]"})

    assert who == Identity("ana", frozenset({Role.VIEWER, Role.ADMIN}))
    assert who.role is Role.ADMIN
    assert identity_from_claims({"username": "bo", "cognito:groups": "[other]"}).role is None
    assert identity_from_claims({}) is None


def test_the_lambda_has_no_dev_login_route(stack):
    # Given the services the Lambda builds (no dev login: only the local runtime makes one)
    assert console_wiring.services().dev_login is None
    # When someone tries the local sign-in against it
    answer = call("POST", "/dev/login", {"user": "eve", "role": "admin"}, role=None)
    # Then the route does not exist
    assert answer.status == 404
