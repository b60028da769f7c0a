"""Plays API Gateway's part on 127.0.0.1 for the local runtime's HTTP APIs.

`LocalHttpServer` owns what every local API shares: a loopback-only server, body limits,
turning a request into an HTTP API (payload 2.0) event, writing the handler's response.
Each API (console, player API, unsubscribe) only says how it authorizes and which handler
answers, in `handle()`.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from shared.clock import SystemClock
from shared.console.http import with_security_headers

MAX_BODY_BYTES = 1_000_000


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


def plain_response(status: int, message: str) -> dict[str, Any]:
    return with_security_headers(
        {
            "statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": message}),
        }
    )


class LocalHttpServer:
    """A server on 127.0.0.1 (never another interface) that hands requests to `handle`."""

    max_body_bytes = MAX_BODY_BYTES
    quiet = True  # the stack's output is the story (and URLs may carry tokens): no access log

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.base_url

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.on_stop()

    def on_stop(self) -> None:
        """Undo what the server installed (wiring)."""

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: str | None
    ) -> dict[str, Any]:
        """Answer one request with an API Gateway-style response dict."""
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                if not server.quiet:
                    super().log_message(format, *args)

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                length = int(headers.get("content-length") or 0)
                if length > server.max_body_bytes:
                    self._send(plain_response(413, "request body too large"))
                    return
                body = self.rfile.read(length).decode("utf-8") if length else None
                self._send(server.handle(self.command, self.path, headers, body))

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
