"""Serves the console locally: HTTP on 127.0.0.1 -> API Gateway HTTP API (v2) events.

It plays API Gateway's part for the SAME Lambda handler: builds the v2 event from the
request, and for `/api/*` routes acts as the JWT authorizer would, with the dev login's
HMAC tokens instead of Cognito's: a missing, forged or expired token is answered 401
without invoking the handler; a valid one becomes `requestContext.authorizer.jwt.claims`,
with array claims flattened to "[a b]" exactly as API Gateway passes them.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from shared.console import wiring as console_wiring
from shared.console.devlogin import DevLogin, as_authorizer_claims
from shared.console.reports import DuckDbReports
from shared.console.roles import Role
from shared.console.services import ConsoleServices
from shared.local.http_gateway import LocalHttpServer, http_api_event, plain_response
from shared.local.lambda_context import LambdaContext
from shared.local.runtime import LocalRuntime
from shared.reports.rule_inputs import report_rules
from shared.wiring import AwsClients

API_PREFIX = "/api/"


class ConsoleServer(LocalHttpServer):
    """The console on http://127.0.0.1:<port>, backed by the real console Lambda handler."""

    def __init__(self, services: ConsoleServices, port: int = 0) -> None:
        if services.dev_login is None:
            raise ValueError("the local console needs a dev login to sign users in")
        self._dev_login: DevLogin = services.dev_login
        console_wiring.install(services)
        # Powertools' resolver keeps the current event on itself: one request at a time.
        self._invoke_lock = threading.Lock()
        super().__init__(port)

    def on_stop(self) -> None:
        console_wiring.reset()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        from functions.console.handler import handler

        with self._invoke_lock:
            return handler(event, LambdaContext("engage-console"))  # type: ignore[arg-type]

    def authorize(self, headers: dict[str, str]) -> dict[str, str] | None:
        """Claims for a valid bearer token, as the JWT authorizer would pass them."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        claims = self._dev_login.verify(token.strip())
        return as_authorizer_claims(claims) if claims else None

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: str | None
    ) -> dict[str, Any]:
        claims = self.authorize(headers)
        if urlsplit(target).path.startswith(API_PREFIX) and claims is None:
            # API Gateway's JWT authorizer answers this itself; the function never runs.
            return plain_response(401, "Unauthorized")
        return self.invoke(http_api_event(method, target, headers, body, claims))


def provision_console_users(clients: AwsClients) -> str:
    """A user pool with the console groups on the moto endpoint (what the stack creates)."""
    idp = clients.client("cognito-idp")
    pool_id: str = idp.create_user_pool(PoolName="engage-local-console")["UserPool"]["Id"]
    for role in Role:
        idp.create_group(GroupName=role.value, UserPoolId=pool_id)
    return pool_id


def start_local_console(runtime: LocalRuntime, port: int = 0) -> ConsoleServer:
    """The console over the runtime's tables, on its virtual clock, with a dev login.

    Locally the dev login decides who you are; the local user pool only lets an admin try
    the user-management screens.
    """
    from shared.clock import SystemClock
    from shared.console.wiring import build_console

    services = build_console(
        player_table=runtime.resources.player_table,
        config_table=runtime.resources.config_table,
        clients=runtime.clients,
        clock=runtime.clock,
        # Sign-in sessions expire in real time, not in the stack's virtual time.
        dev_login=DevLogin(SystemClock()),
        user_pool_id=provision_console_users(runtime.clients),
    )
    if runtime.lake is not None:
        lake = runtime.lake
        services.reports = DuckDbReports(
            connect=lake.connect,
            rules=lambda: report_rules(runtime.config.raw_items("rule")),
        )
        from shared.local.console_backtest import local_backtest, local_explain

        services.backtests = partial(local_backtest, runtime)
        services.explains = partial(local_explain, runtime)
    return ConsoleServer(services, port).start()
