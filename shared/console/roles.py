"""Who is calling and what they may do: roles come from the Cognito groups claim."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.console.errors import Forbidden, Unauthenticated

GROUPS_CLAIM = "cognito:groups"


class Role(StrEnum):
    VIEWER = "viewer"
    MARKETER = "marketer"
    ADMIN = "admin"


# Each role can do everything the ones below it can.
_RANK = {Role.VIEWER: 1, Role.MARKETER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Identity:
    user: str
    roles: frozenset[Role]

    @property
    def role(self) -> Role | None:
        """The strongest role held."""
        return max(self.roles, key=_RANK.__getitem__) if self.roles else None

    def can(self, needed: Role) -> bool:
        return any(_RANK[r] >= _RANK[needed] for r in self.roles)


def parse_groups(value: Any) -> list[str]:
    """Groups from a claim value.

    A Cognito token carries a JSON array, but API Gateway's HTTP API JWT authorizer hands
    array claims to the function flattened to a string, "[admin marketer]"; accept both.
    """
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.startswith('["'):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    return [g for g in text.strip("[]").replace(",", " ").split() if g]


def identity_from_claims(claims: Mapping[str, Any] | None) -> Identity | None:
    """The caller, or None when the request carries no verified claims."""
    if not claims:
        return None
    user = str(claims.get("cognito:username") or claims.get("username") or claims.get("sub") or "")
    if not user:
        return None
    known = {r.value for r in Role}
    roles = frozenset(Role(g) for g in parse_groups(claims.get(GROUPS_CLAIM)) if g in known)
    return Identity(user=user, roles=roles)


def require(identity: Identity | None, needed: Role) -> Identity:
    """The identity if it holds `needed` (or better); 401 without one, 403 without the role."""
    if identity is None:
        raise Unauthenticated("sign in first")
    if not identity.can(needed):
        raise Forbidden(f"this needs the {needed.value} role; you have {identity.role or 'none'}")
    return identity
