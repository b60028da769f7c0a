"""The player API's contract: unknown players are 404s, every error has an `error` code,
and the OpenAPI document lists the answers and the SigV4 auth header routes really give."""

from __future__ import annotations

import pytest

from shared.player_api.answers import ANSWERS
from tests.starter_config import publish_starter

from .conftest import PLAYER, call, seen

PLAYER_READS = ("summary", "points", "tier", "missions")


@pytest.mark.parametrize("read", PLAYER_READS)
def test_a_player_the_engine_never_saw_is_a_404_unknown_player(stack, read):
    publish_starter(stack)
    answer = call("GET", f"/v1/players/ghost/{read}")
    assert (answer.status, answer.json["error"]) == (404, "unknown_player")


@pytest.mark.parametrize("read", PLAYER_READS)
def test_a_player_the_engine_knows_is_answered(stack, read):
    publish_starter(stack)
    seen(stack)
    assert call("GET", f"/v1/players/{PLAYER}/{read}").status == 200


@pytest.mark.parametrize(
    ("path", "query", "signed", "status"),
    [
        (f"/v1/players/{PLAYER}/summary", None, False, 401),
        ("/v1/players/not a valid id!/summary", None, True, 400),
        (f"/v1/players/{PLAYER}/inbox", {"limit": "0"}, True, 400),
        (f"/v1/players/{PLAYER}/inbox", {"cursor": "garbage"}, True, 400),
        ("/v1/players/ghost/summary", None, True, 404),
        ("/v1/no/such/route", None, True, 404),
    ],
)
def test_every_error_body_carries_an_error_code_and_a_message(stack, path, query, signed, status):
    answer = call("GET", path, query=query, signed=signed)
    assert answer.status == status
    assert set(answer.json) == {"error", "message"}
    assert answer.json["error"]


def test_the_openapi_document_lists_each_routes_real_answers_with_the_error_body(stack):
    doc = call("GET", "/v1/openapi.json").json
    for (method, path), statuses in ANSWERS.items():
        responses = doc["paths"][path][method]["responses"]
        assert set(responses) == {"200", *(str(s) for s in statuses)}, (method, path)
        for status in statuses:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}
    assert {"error", "message"} <= set(doc["components"]["schemas"]["ErrorOut"]["properties"])


def test_the_openapi_document_names_the_sigv4_authorization_header_for_every_route(stack):
    doc = call("GET", "/v1/openapi.json").json
    scheme = doc["components"]["securitySchemes"]["sigv4"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert doc["security"] == [{"sigv4": []}]


def test_the_documented_statuses_cover_400_401_403_404_and_409(stack):
    documented = {s for statuses in ANSWERS.values() for s in statuses}
    assert {400, 401, 403, 404, 409} <= documented
