"""Sign-in through the Cognito hosted UI (authorization code + PKCE).

The browser cannot call Cognito's token endpoint itself: the console's Content-Security-
Policy allows connections to its own origin only. So the page sends the code and its PKCE
verifier here, and this exchanges them for tokens. The app client is public (no secret);
the verifier proves the code was requested by the same browser.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from shared.console.errors import ConsoleError, Unauthenticated

# (url, form body) -> (HTTP status, response body)
Post = Callable[[str, bytes], tuple[int, bytes]]


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - https URL built from our own settings
        url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class CognitoSignIn:
    def __init__(self, domain: str, client_id: str, post: Post = _post) -> None:
        self.domain = domain
        self.client_id = client_id
        self._post = post

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Tokens for an authorization code; 401 if Cognito refuses it."""
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
            }
        ).encode()
        status, body = self._post(f"https://{self.domain}/oauth2/token", form)
        if status != 200:
            raise Unauthenticated("Cognito refused the sign-in code; sign in again")
        try:
            tokens = json.loads(body)
        except ValueError as exc:
            raise ConsoleError("Cognito answered with something that is not JSON") from exc
        return {
            "access_token": tokens["access_token"],
            "expires_in": int(tokens.get("expires_in", 3600)),
        }
