"""Serves the console locally: HTTP on 127.0.0.1 -> API Gateway HTTP API (v2) events.

It plays API Gateway's part for the SAME Lambda handler: builds the v2 event from the
request, and for `/api/*` routes acts as the JWT authorizer would, with the dev login's
HMAC tokens instead of Cognito's: a missing, forged or expired token is answered 401
without invoking the handler; a valid one becomes `requestContext.authorizer.jwt.claims`,
with array claims flattened to "[a b]" exactly as API Gateway passes them.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.clock import SystemClock
from shared.console import wiring as console_wiring
from shared.console.devlogin import DevLogin, as_authorizer_claims
from shared.console.http import with_security_headers
from shared.console.roles import Role
from shared.console.services import ConsoleServices
from shared.local.runtime import LambdaContext, LocalRuntime
from shared.wiring import AwsClients

MAX_BODY_BYTES = 1_000_000
API_PREFIX = "/api/"


def http_api_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: str | None,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    """The event API Gateway's HTTP API ($default stage, payload 2.0) sends for a request."""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    # The request's arrival stamp, as API Gateway sets it: wall time, not the virtual clock.
    now = SystemClock().now()
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": headers.get("host", "127.0.0.1"),
        "domainPrefix": "127",
        "http": {
            "method": method,
            "path": parts.path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "cookies": [],
        "headers": headers,
        "queryStringParameters": {k: ",".join(v) for k, v in query.items()} or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


class ConsoleServer:
    """The console on http://127.0.0.1:<port>, backed by the real console Lambda handler."""

    def __init__(self, services: ConsoleServices, port: int = 0) -> None:
        if services.dev_login is None:
            raise ValueError("the local console needs a dev login to sign users in")
        self._dev_login: DevLogin = services.dev_login
        console_wiring.install(services)
        # Powertools' resolver keeps the current event on itself: one request at a time.
        self._invoke_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ConsoleServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
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

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the stack's output is the story, not access logs

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                length = int(headers.get("content-length") or 0)
                if length > MAX_BODY_BYTES:
                    self._send(_plain(413, "request body too large"))
                    return
                body = self.rfile.read(length).decode("utf-8") if length else None
                path = urlsplit(self.path).path
                claims = server.authorize(headers)
                if path.startswith(API_PREFIX) and claims is None:
                    # API Gateway's JWT authorizer answers this itself; the function never runs.
                    self._send(_plain(401, "Unauthorized"))
                    return
                event = http_api_event(self.command, self.path, headers, body, claims)
                self._send(server.invoke(event))

            def _send(self, response: dict[str, Any]) -> None:
                data = str(response.get("body") or "").encode("utf-8")
                self.send_response(int(response.get("statusCode", 200)))
                for name, value in (response.get("headers") or {}).items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve
            do_DELETE = _serve

        return Handler


def _plain(status: int, message: str) -> dict[str, Any]:
    return with_security_headers(
        {
            "statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": message}),
        }
    )


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
    return ConsoleServer(services, port).start()
