"""Response headers every console answer carries, and the UI's static files."""

from __future__ import annotations

from functools import cache
from importlib import resources as package_files
from typing import Any

# The UI runs only code and styles from our own origin, never inline script, and cannot be
# framed: a rule named "<script>" that slipped past escaping still could not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def with_security_headers(response: dict[str, Any]) -> dict[str, Any]:
    """Add the security headers (and no-store for API data) to a Lambda proxy response."""
    headers = dict(response.get("headers") or {})
    headers.update(SECURITY_HEADERS)
    content_type = str(headers.get("Content-Type", ""))
    # API data (config, player profiles) must not linger in browser or proxy caches; the
    # static UI may be cached but is revalidated so a deploy shows at once.
    is_static = content_type.startswith(("text/html", "text/javascript", "text/css"))
    headers["Cache-Control"] = "no-cache" if is_static else "no-store"
    response["headers"] = headers
    response["statusCode"] = int(response.get("statusCode", 200))
    return response


def refused_at_the_door(status: int, json_body: str) -> dict[str, Any]:
    """A JSON error answered before routing (no auth), with the security headers."""
    return with_security_headers(
        {
            "statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": json_body,
            "isBase64Encoded": False,
        }
    )


@cache
def static_files() -> dict[str, tuple[str, str]]:
    """name -> (content type, text) of every UI file (an allow-list: nothing else is served)."""
    root = package_files.files("shared.console").joinpath("static")
    out = {}
    for entry in root.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in STATIC_TYPES:
            out[entry.name] = (STATIC_TYPES[suffix], entry.read_text(encoding="utf-8"))
    return out
