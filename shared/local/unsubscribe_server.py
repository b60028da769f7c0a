"""Serves the one-click unsubscribe route on 127.0.0.1, through the real Lambda handler.

It plays API Gateway's part (HTTP API, payload 2.0) for `/unsubscribe` only, the one route
the stack's unsubscribe API has; every other path is 404 without invoking the function.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from shared.local.http_gateway import LocalHttpServer, http_api_event
from shared.services.unsubscribe import PATH

MAX_BODY_BYTES = 10_000


def invoke_unsubscribe(event: dict[str, Any]) -> dict[str, Any]:
    from functions.unsubscribe.handler import handler
    from shared.local.lambda_context import LambdaContext

    return handler(event, LambdaContext("engage-unsubscribe"))  # type: ignore[arg-type]


class UnsubscribeServer(LocalHttpServer):
    # Only a token and a small form ever arrive here.
    max_body_bytes = MAX_BODY_BYTES

    @property
    def url(self) -> str:
        """The route's URL (what dispatch puts in emails)."""
        return f"{self.base_url}{PATH}"

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: str | None
    ) -> dict[str, Any]:
        if urlsplit(target).path != PATH:
            return {"statusCode": 404, "headers": {}, "body": "Not Found"}
        return invoke_unsubscribe(http_api_event(method, target, headers, body, None))
