"""Local-only sign-in: HMAC-signed, expiring tokens with a chosen role.

Only the local runtime creates a DevLogin (with a random secret per run); the Lambda never
has one, so its `/dev/login` route does not exist there. The local HTTP adapter verifies
the token and hands the handler the claims API Gateway's JWT authorizer would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

from shared.clock import Clock
from shared.console.roles import GROUPS_CLAIM, Role

TOKEN_TTL = timedelta(hours=8)
ISSUER = "engage-local-dev-login"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DevLogin:
    def __init__(self, clock: Clock, secret: bytes | None = None, ttl: timedelta = TOKEN_TTL):
        # A session's expiry is a real-time notion: pass a wall clock, not the virtual one.
        self._clock = clock
        self._secret = secret or secrets.token_bytes(32)
        self._ttl = ttl

    def issue(self, user: str, role: Role) -> tuple[str, int]:
        """A signed token for `user` in `role`, and how many seconds it stays valid."""
        expires = int((self._clock.now() + self._ttl).timestamp())
        claims = {
            "iss": ISSUER,
            "sub": f"dev-{user}",
            "username": user,
            GROUPS_CLAIM: [role.value],
            "exp": expires,
        }
        payload = _b64(json.dumps(claims, sort_keys=True).encode())
        return f"{payload}.{self._sign(payload)}", int(self._ttl.total_seconds())

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a genuine, unexpired token; None for anything else."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            claims: dict[str, Any] = json.loads(_unb64(payload))
        except ValueError:
            return None
        if (
            claims.get("iss") != ISSUER
            or int(claims.get("exp", 0)) <= self._clock.now().timestamp()
        ):
            return None
        return claims

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())


def as_authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's HTTP API JWT authorizer passes them: arrays become "[a b]"."""
    out = {}
    for key, value in claims.items():
        out[key] = "[" + " ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
    return out
