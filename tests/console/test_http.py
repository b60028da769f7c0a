"""Security headers on every answer, the static UI, and the local HTTP adapter with dev login."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from shared.clock import FixedClock
from shared.console import wiring as console_wiring
from shared.console.devlogin import DevLogin
from shared.console.http import CONTENT_SECURITY_POLICY
from shared.console.roles import Role
from shared.local.console_server import ConsoleServer

from .conftest import call

REQUIRED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/config/rule", "viewer"),  # 200 JSON
        ("GET", "/api/config/rule", None),  # 401
        ("POST", "/api/publish", "viewer"),  # 403
        ("GET", "/api/players/nobody", "viewer"),  # 404
        ("GET", "/", None),  # the page
        ("GET", "/static/app.js", None),
        ("GET", "/no/such/page", None),
    ],
)
def test_every_answer_carries_the_strict_csp_and_security_headers(stack, method, path, role):
    answer = call(method, path, role=role)

    assert answer.headers["Content-Security-Policy"] == REQUIRED_CSP == CONTENT_SECURITY_POLICY
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_api_json_is_never_cached(stack):
    answer = call("GET", "/api/config/rule", role="viewer")

    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Type"] == "application/json"


def test_the_page_loads_only_our_own_script_and_style_and_has_no_inline_code(stack):
    page = call("GET", "/", role=None)

    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text
    assert "<script>" not in page.text
    assert " on" + "click=" not in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text


@pytest.mark.parametrize("name", ["app.js", "forms.js", "journey.js"])
def test_the_ui_scripts_never_put_data_into_inner_html(shared_stack, name):
    script = call("GET", f"/static/{name}", role=None)

    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "innerHTML" not in script.text
    assert "outerHTML" not in script.text
    assert "insertAdjacentHTML" not in script.text
    assert "document.write" not in script.text


def test_only_the_ui_files_are_served(stack):
    assert call("GET", "/static/..%2Fapi.py", role=None).status == 404
    assert call("GET", "/static/api.py", role=None).status == 404


def test_the_openapi_document_describes_the_console_api(stack):
    doc = call("GET", "/api/openapi.json", role="viewer").json

    assert doc["info"]["title"] == "engage console API"
    assert "/api/dry-run" in doc["paths"]
    assert "/dev/login" not in doc["paths"]


# --- the local adapter -------------------------------------------------------------------


@pytest.fixture
def local_console(stack):
    wall = FixedClock(stack.clock.now())
    services = console_wiring.build_console(
        player_table=stack.resources.player_table,
        config_table=stack.resources.config_table,
        clients=stack.runtime.clients,
        clock=stack.clock,
        dev_login=DevLogin(wall),
    )
    server = ConsoleServer(services).start()
    yield server, wall
    server.stop()


def http(url, method="GET", body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def test_a_marketer_logs_in_locally_and_the_adapter_passes_claims_like_api_gateway(local_console):
    server, _ = local_console
    status, _, login = http(f"{server.url}/dev/login", "POST", {"user": "mia", "role": "marketer"})
    assert status == 200

    status, headers, me = http(f"{server.url}/api/me", token=login["token"])

    assert status == 200
    assert me == {"user": "mia", "role": "marketer", "can_write": True}
    assert headers["Content-Security-Policy"] == REQUIRED_CSP


def test_the_adapter_refuses_a_missing_forged_or_expired_token_like_the_jwt_authorizer(
    local_console,
):
    server, wall = local_console
    _, _, login = http(f"{server.url}/dev/login", "POST", {"user": "vic", "role": "viewer"})
    payload, _, signature = login["token"].partition(".")
    forged = DevLogin(wall).issue("vic", Role.ADMIN)[0]

    assert http(f"{server.url}/api/me")[0] == 401
    assert http(f"{server.url}/api/me", token=forged)[0] == 401
    assert http(f"{server.url}/api/me", token=payload + "." + signature[::-1])[0] == 401
    assert http(f"{server.url}/api/me", token=login["token"])[0] == 200
    wall.advance(timedelta(hours=8, seconds=1))
    assert http(f"{server.url}/api/me", token=login["token"])[0] == 401


def test_a_viewer_token_cannot_write_through_the_adapter(local_console):
    server, _ = local_console
    _, _, login = http(f"{server.url}/dev/login", "POST", {"user": "vic", "role": "viewer"})

    status, _, body = http(f"{server.url}/api/publish", "POST", {}, token=login["token"])

    assert status == 403
    assert body["error"] == "forbidden"


def test_the_local_page_says_to_use_the_dev_login(local_console):
    server, _ = local_console

    status, _, config = http(f"{server.url}/console-config.json")

    assert status == 200
    assert config["auth"] == "dev"


# --- Cognito hosted UI sign-in (the code exchange the page cannot do itself under its CSP) --


class FakeCognito:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[str, dict[str, list[str]]]] = []

    def __call__(self, url: str, body: bytes) -> tuple[int, bytes]:
        from urllib.parse import parse_qs

        self.requests.append((url, parse_qs(body.decode())))
        if self.status != 200:
            return self.status, b'{"error": "invalid_grant"}'
        return 200, json.dumps(
            {"access_token": "at-123", "id_token": "id-1", "expires_in": 3600}
        ).encode()


@pytest.fixture
def cognito_console(stack):
    from shared.console.cognito import CognitoSignIn

    fake = FakeCognito()
    console_wiring.install(
        console_wiring.build_console(
            player_table=stack.resources.player_table,
            config_table=stack.resources.config_table,
            clients=stack.runtime.clients,
            clock=stack.clock,
            sign_in=CognitoSignIn("engage-1.auth.eu-west-1.amazoncognito.com", "client1", fake),
        )
    )
    return fake


VERIFIER = "v" * 43


def test_the_page_exchanges_its_code_and_pkce_verifier_for_an_access_token(cognito_console):
    config = call("GET", "/console-config.json", role=None).json
    answer = call(
        "POST",
        "/auth/token",
        {"code": "c-1", "verifier": VERIFIER, "redirect_uri": "https://console.example/"},
        role=None,
    )

    assert config == {
        "auth": "cognito",
        "domain": "engage-1.auth.eu-west-1.amazoncognito.com",
        "client_id": "client1",
    }
    assert answer.status == 200
    assert answer.json == {"token": "at-123", "expires_in": 3600}
    [(url, form)] = cognito_console.requests
    assert url == "https://engage-1.auth.eu-west-1.amazoncognito.com/oauth2/token"
    assert form == {
        "grant_type": ["authorization_code"],
        "client_id": ["client1"],
        "code": ["c-1"],
        "code_verifier": [VERIFIER],
        "redirect_uri": ["https://console.example/"],
    }


def test_a_code_cognito_refuses_is_401(cognito_console):
    cognito_console.status = 400

    answer = call(
        "POST",
        "/auth/token",
        {"code": "stolen", "verifier": VERIFIER, "redirect_uri": "https://console.example/"},
        role=None,
    )

    assert answer.status == 401


def test_the_exchange_needs_a_pkce_verifier(cognito_console):
    answer = call(
        "POST",
        "/auth/token",
        {"code": "c-1", "verifier": "short", "redirect_uri": "https://console.example/"},
        role=None,
    )

    assert answer.status == 422
    assert cognito_console.requests == []
