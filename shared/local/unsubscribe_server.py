"""Serves the one-click unsubscribe route on 127.0.0.1, through the real Lambda handler.

It plays API Gateway's part (HTTP API, payload 2.0) for `/unsubscribe` only, the one route
the stack's unsubscribe API has; every other path is 404 without invoking the function.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from shared.local.console_server import http_api_event
from shared.services.unsubscribe import PATH

MAX_BODY_BYTES = 10_000


def invoke_unsubscribe(event: dict[str, Any]) -> dict[str, Any]:
    from functions.unsubscribe.handler import handler
    from shared.local.runtime import LambdaContext

    return handler(event, LambdaContext("engage-unsubscribe"))  # type: ignore[arg-type]


class UnsubscribeServer:
    def __init__(self, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The route's URL (what dispatch puts in emails)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> UnsubscribeServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # tokens are in the URL: no access log on screen

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                length = int(headers.get("content-length") or 0)
                if length > MAX_BODY_BYTES:
                    self._send({"statusCode": 413, "headers": {}, "body": ""})
                    return
                body = self.rfile.read(length).decode("utf-8") if length else None
                if urlsplit(self.path).path != PATH:
                    self._send({"statusCode": 404, "headers": {}, "body": "Not Found"})
                    return
                event = http_api_event(self.command, self.path, headers, body, None)
                self._send(invoke_unsubscribe(event))

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
