"""One loopback moto server for the console tests; each test gets a fresh, provisioned stack
with the starter config published and the console services installed on its virtual clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from functions.console.handler import handler
from shared import wiring
from shared.console import wiring as console_wiring
from shared.local.console_server import provision_console_users
from shared.local.demo import START
from shared.local.embedded import Embedded, start_moto
from shared.local.lambda_context import LambdaContext
from tests.starter_config import publish_starter

PLAYER = "p-1001"


@pytest.fixture(scope="session")
def moto_server():
    server, endpoint = start_moto()
    yield server, endpoint
    server.stop()


def _fresh_stack(moto_server):
    server, endpoint = moto_server
    embedded = Embedded.on(server, endpoint, START)
    publish_starter(embedded)
    console_wiring.install(
        console_wiring.build_console(
            player_table=embedded.resources.player_table,
            config_table=embedded.resources.config_table,
            clients=embedded.runtime.clients,
            clock=embedded.clock,
            user_pool_id=provision_console_users(embedded.runtime.clients),
        )
    )
    yield embedded
    console_wiring.reset()
    wiring.reset()


@pytest.fixture
def stack(moto_server):
    yield from _fresh_stack(moto_server)


@pytest.fixture(scope="class")
def shared_stack(moto_server):
    """One stack for a class of tests that change nothing (each asserts that it did not)."""
    yield from _fresh_stack(moto_server)


def claims_for(role: str | None, user: str = "mia") -> dict[str, str] | None:
    """Claims as API Gateway's JWT authorizer passes them (arrays flattened to "[a b]")."""
    if role is None:
        return None
    return {"sub": f"sub-{user}", "username": user, "cognito:groups": f"[{role}]"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def field_errors(self) -> dict[str, str]:
        return {e["path"]: e["message"] for e in self.json.get("errors", [])}


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    role: str | None = "marketer",
    user: str = "mia",
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> Answer:
    """Invoke the real console Lambda handler with an HTTP API v2 event."""
    claims = claims_for(role, user)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "test",
        "domainName": "console.test",
        "domainPrefix": "console",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "pytest",
        },
        "requestId": "req-1",
        "routeKey": "$default",
        "stage": "$default",
        "time": "24/Nov/2026:09:00:00 +0000",
        "timeEpoch": 0,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json"},
        "queryStringParameters": query,
        "requestContext": context,
        "body": raw_body if raw_body is not None else (None if body is None else json.dumps(body)),
        "isBase64Encoded": False,
    }
    resp = handler(event, LambdaContext("engage-console"))  # type: ignore[arg-type]
    return Answer(int(resp["statusCode"]), resp["headers"], resp.get("body") or "")


def rule(rule_id: str = "vip-login", **overrides: Any) -> dict[str, Any]:
    """A valid rule document."""
    return {
        "rule_id": rule_id,
        "description": "points for logging in",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": 5}}],
        **overrides,
    }


def template(template_id: str = "vip", locale: str = "en", **overrides: Any) -> dict[str, Any]:
    return {
        "template_id": template_id,
        "locale": locale,
        "subject": 'Hello {{ first_name | "friend" }}',
        "text": "You have {{ points_balance }} points.",
        **overrides,
    }


def envelope(name: str) -> dict[str, Any]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "events" / "samples" / "valid"
    loaded: dict[str, Any] = json.loads((root / f"{name}.json").read_text())
    return loaded
