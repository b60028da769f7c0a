"""Console users, managed by admins: the Cognito user pool's users and their console group.

An adapter on `cognito-idp` (it takes its client). Each user holds exactly one console group
(role); changing the role moves them. Removing access disables the user (Cognito keeps the
account, so what they did stays attributable in the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.console.errors import Conflict, Invalid, NotFound
from shared.console.roles import Role


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    email: str | None
    role: Role | None
    enabled: bool
    status: str


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class CognitoUsers:
    def __init__(self, user_pool_id: str, client: Any) -> None:
        self._pool = user_pool_id
        self._idp = client

    def all(self) -> list[ConsoleUser]:
        """Every user of the pool with their console role (None if in no console group)."""
        roles: dict[str, Role] = {}
        for role in Role:
            for user in self._paged("list_users_in_group", GroupName=role.value):
                roles.setdefault(user["Username"], role)
        users = [self._user(u, roles.get(u["Username"])) for u in self._paged("list_users")]
        return sorted(users, key=lambda u: u.username)

    def invite(self, username: str, email: str, role: Role) -> ConsoleUser:
        """Create the user (Cognito emails a temporary password) in `role`'s group."""
        try:
            created = self._idp.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )["User"]
        except ClientError as exc:
            if _code(exc) == "UsernameExistsException":
                raise Conflict(f"user {username!r} already exists; change their role") from exc
            if _code(exc) == "InvalidParameterException":
                raise Invalid("the user cannot be created", []) from exc
            raise
        self._idp.admin_add_user_to_group(
            UserPoolId=self._pool, Username=username, GroupName=role.value
        )
        return self._user(created, role)

    def set_role(self, username: str, role: Role) -> None:
        """Move the user to `role`'s group (and out of the other console groups)."""
        try:
            current = self._idp.admin_list_groups_for_user(UserPoolId=self._pool, Username=username)
        except ClientError as exc:
            if _code(exc) == "UserNotFoundException":
                raise NotFound(f"no user {username!r}") from exc
            raise
        # Add first, then remove: the user is never left without a role half-way.
        self._idp.admin_add_user_to_group(
            UserPoolId=self._pool, Username=username, GroupName=role.value
        )
        for group in current.get("Groups", []):
            name = group["GroupName"]
            if name != role.value and name in {r.value for r in Role}:
                self._idp.admin_remove_user_from_group(
                    UserPoolId=self._pool, Username=username, GroupName=name
                )

    def disable(self, username: str) -> None:
        """Sign-in refused from now on; their tokens stop being refreshed."""
        try:
            self._idp.admin_disable_user(UserPoolId=self._pool, Username=username)
            self._idp.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        except ClientError as exc:
            if _code(exc) == "UserNotFoundException":
                raise NotFound(f"no user {username!r}") from exc
            raise

    def _paged(self, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_kwargs = {"UserPoolId": self._pool, **kwargs}
            if token:
                page_kwargs["PaginationToken" if operation == "list_users" else "NextToken"] = token
            page = getattr(self._idp, operation)(**page_kwargs)
            out += page.get("Users", [])
            token = page.get("PaginationToken") or page.get("NextToken")
            if not token:
                return out

    @staticmethod
    def _user(raw: dict[str, Any], role: Role | None) -> ConsoleUser:
        attributes = {a["Name"]: a["Value"] for a in raw.get("Attributes", [])}
        return ConsoleUser(
            username=raw["Username"],
            email=attributes.get("email"),
            role=role,
            enabled=bool(raw.get("Enabled", True)),
            status=str(raw.get("UserStatus", "")),
        )
