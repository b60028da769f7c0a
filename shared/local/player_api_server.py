"""Serves the player API locally: HTTP on 127.0.0.1 -> the SAME Lambda handler.

It plays API Gateway's part, including the IAM authorizer's: there is no SigV4 locally,
so a request must carry `x-engage-local-key` with this run's random key (printed by
`engage up`). Without it the answer is 401 and the handler never runs, so the local
player API is not open either; with it, the event gets the `authorizer.iam` block a
SigV4-verified call would have.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from typing import Any

from shared.local.http_gateway import LocalHttpServer, http_api_event, plain_response
from shared.local.lambda_context import LambdaContext
from shared.local.runtime import LocalRuntime
from shared.player_api import wiring as player_api_wiring
from shared.player_api.services import PlayerApiServices

KEY_HEADER = "x-engage-local-key"
LOCAL_CALLER_ARN = "arn:aws:iam::123456789012:role/PlayerApiCaller-local"


def local_iam_authorizer() -> dict[str, Any]:
    """The `requestContext.authorizer` API Gateway adds for a SigV4-verified caller."""
    return {
        "iam": {
            "accessKey": "LOCAL",
            "accountId": "123456789012",
            "callerId": "LOCAL",
            "principalOrgId": None,
            "userArn": LOCAL_CALLER_ARN,
            "userId": "LOCAL",
        }
    }


class PlayerApiServer(LocalHttpServer):
    """The player API on http://127.0.0.1:<port>, keyed by a random per-run secret."""

    def __init__(self, services: PlayerApiServices, port: int = 0, key: str | None = None) -> None:
        self.key = key or secrets.token_urlsafe(24)
        player_api_wiring.install(services)
        # Powertools' resolver keeps the current event on itself: one request at a time.
        self._invoke_lock = threading.Lock()
        super().__init__(port)

    def on_stop(self) -> None:
        player_api_wiring.reset()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        from functions.player_api.handler import handler

        with self._invoke_lock:
            return handler(event, LambdaContext("engage-player-api"))  # type: ignore[arg-type]

    def authorized(self, headers: dict[str, str]) -> bool:
        # Constant-time: the key is the only thing standing between a local port and the data.
        return hmac.compare_digest(headers.get(KEY_HEADER, "").encode(), self.key.encode())

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: str | None
    ) -> dict[str, Any]:
        if not self.authorized(headers):
            # API Gateway's IAM authorizer answers this itself; the function never runs.
            return plain_response(401, "Unauthorized")
        # The key is the local stand-in for a signature: it is not passed on.
        headers.pop(KEY_HEADER, None)
        event = http_api_event(method, target, headers, body, None)
        event["requestContext"]["authorizer"] = local_iam_authorizer()
        return self.invoke(event)


def start_local_player_api(runtime: LocalRuntime, port: int = 0) -> PlayerApiServer:
    """The player API over the runtime's player table, on its virtual clock."""
    from shared.player_api.wiring import build_player_api

    services = build_player_api(
        player_table=runtime.resources.player_table,
        config_table=runtime.resources.config_table,
        clients=runtime.clients,
        clock=runtime.clock,
    )
    return PlayerApiServer(services, port).start()
