"""One loopback moto server for the player API tests; each test gets a fresh stack and the
player API services installed on its virtual clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from functions.player_api.handler import handler
from shared import wiring
from shared.domain.core.state import InboxMessage
from shared.local.demo import START
from shared.local.embedded import Embedded, start_moto
from shared.local.lambda_context import LambdaContext
from shared.local.player_api_server import local_iam_authorizer
from shared.player_api import wiring as player_api_wiring

PLAYER = "p-1001"


@pytest.fixture(scope="session")
def moto_server():
    server, endpoint = start_moto()
    yield server, endpoint
    server.stop()


@contextmanager
def serving_player_api(embedded: Embedded) -> Iterator[Embedded]:
    """The player API's services on the stack's tables and virtual clock, for the block."""
    player_api_wiring.install(
        player_api_wiring.build_player_api(
            player_table=embedded.resources.player_table,
            config_table=embedded.resources.config_table,
            clients=embedded.runtime.clients,
            clock=embedded.clock,
        )
    )
    try:
        yield embedded
    finally:
        player_api_wiring.reset()


@pytest.fixture
def stack(moto_server):
    server, endpoint = moto_server
    embedded = Embedded.on(server, endpoint, START)
    with serving_player_api(embedded):
        yield embedded
    wiring.reset()


def seen(embedded: Embedded, player_id: str = PLAYER) -> None:
    """Make the engine know the player: one login applied through the real handlers."""
    embedded.runtime.put_events(
        [
            {
                "source": "casino.example",
                "detail-type": "player.logged_in",
                "detail": {
                    "player_id": player_id,
                    "event_id": f"login-{player_id}",
                    "occurred_at": embedded.clock.now().isoformat(),
                },
            }
        ]
    )
    embedded.runtime.pump()


def deliver(
    embedded: Embedded,
    message_id: str,
    *,
    minutes_ago: int = 0,
    lives_for: timedelta = timedelta(days=7),
    player_id: str = PLAYER,
) -> InboxMessage:
    """Store an in-app message as dispatch does, delivered `minutes_ago` on the stack clock."""
    delivered = embedded.clock.now() - timedelta(minutes=minutes_ago)
    message = InboxMessage(
        message_id=message_id,
        player_id=player_id,
        template="welcome",
        category="marketing",
        subject=f"subject {message_id}",
        text=f"text {message_id}",
        delivered_at=delivered,
        expires_at=delivered + lives_for,
    )
    embedded.runtime.players.put_inbox(message)
    return message


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def call(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    signed: bool = True,
    body: dict[str, Any] | None = None,
) -> Answer:
    """Invoke the real Lambda handler as API Gateway does after the IAM authorizer."""
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "test",
        "domainName": "players.test",
        "domainPrefix": "players",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "10.0.0.1",
            "userAgent": "pytest",
        },
        "requestId": "req-1",
        "routeKey": "$default",
        "stage": "$default",
        "time": "24/Nov/2026:09:00:00 +0000",
        "timeEpoch": 0,
    }
    if signed:
        context["authorizer"] = local_iam_authorizer()
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json"} if body is not None else {},
        "queryStringParameters": query,
        "requestContext": context,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    resp = handler(event, LambdaContext("engage-player-api"))  # type: ignore[arg-type]
    return Answer(int(resp["statusCode"]), resp["headers"], resp.get("body") or "")
