"""Console users: only admins manage them (marketers cannot), through the Cognito user pool."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import call

# Every user-management route, with a request that would succeed for an admin.
ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", {"username": "leo", "email": "leo@example.com", "role": "viewer"}),
    ("PUT", "/api/admin/users/mia/role", {"role": "viewer"}),
    ("POST", "/api/admin/users/mia/disable", None),
]
ADMIN_IDS = [f"{m} {p}" for m, p, _ in ADMIN_ROUTES]


def invite(username: str = "mia", role: str = "marketer"):
    return call(
        "POST",
        "/api/admin/users",
        {"username": username, "email": f"{username}@example.com", "role": role},
        role="admin",
        user="root",
    )


def users() -> dict[str, dict[str, Any]]:
    listed = call("GET", "/api/admin/users", role="admin").json["users"]
    return {u["username"]: u for u in listed}


@pytest.fixture(scope="class")
def mia_invited(shared_stack):
    invite()
    return shared_stack


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=ADMIN_IDS)
@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403), ("marketer", 403)])
class TestOnlyAnAdminManagesUsers:
    """Refused calls change nothing, so these share one stack."""

    def test_the_call_is_refused_and_changes_nothing(
        self, mia_invited, method, path, body, role, status
    ):
        answer = call(method, path, body, role=role)

        assert answer.status == status
        assert users()["mia"]["role"] == "marketer"
        assert users()["mia"]["enabled"] is True
        assert "leo" not in users()


def test_an_admin_invites_a_user_into_a_role(stack):
    answer = invite("leo", "viewer")

    assert answer.status == 201
    assert answer.json["status"] == "FORCE_CHANGE_PASSWORD"
    assert users()["leo"]["role"] == "viewer"


def test_inviting_an_existing_user_is_a_conflict(stack):
    invite()

    assert invite().status == 409


def test_an_admin_changes_a_role_and_the_user_holds_exactly_one(stack):
    invite()

    answer = call("PUT", "/api/admin/users/mia/role", {"role": "admin"}, role="admin")

    assert answer.status == 200
    assert users()["mia"]["role"] == "admin"
    idp_groups = stack.runtime.clients.client("cognito-idp")
    from shared.console import wiring as console_wiring

    pool = console_wiring.services().users._pool
    groups = idp_groups.admin_list_groups_for_user(UserPoolId=pool, Username="mia")["Groups"]
    assert [g["GroupName"] for g in groups] == ["admin"]


def test_an_admin_disables_a_user(stack):
    invite()

    assert call("POST", "/api/admin/users/mia/disable", role="admin").status == 200
    assert users()["mia"]["enabled"] is False


def test_changing_the_role_of_an_unknown_user_is_404(stack):
    assert (
        call("PUT", "/api/admin/users/ghost/role", {"role": "viewer"}, role="admin").status == 404
    )


def test_an_invite_needs_an_email_address(stack):
    answer = call(
        "POST",
        "/api/admin/users",
        {"username": "x", "email": "nope", "role": "viewer"},
        role="admin",
    )

    assert answer.status == 422
    assert "body.email" in answer.field_errors
