"""The answers each player API route really gives, written into its OpenAPI document.

Powertools documents 200 and its own 422; this API answers validation errors with 400,
every route can answer 401 (no SigV4-verified caller), and some answer 403/404/409/503.
Every non-2xx body is `ErrorOut` ({"error": code, "message": text}).
"""

from __future__ import annotations

import json
from typing import Any

from shared.player_api.schemas import ErrorOut

SECURITY_SCHEME = "sigv4"

ERROR_TEXT = {
    400: "Invalid request (`bad_request`): a parameter, body, cursor or period is malformed.",
    401: "No SigV4-verified caller (`unauthenticated`).",
    403: "Refused for responsible gaming (`responsible_gaming`).",
    404: "Not found: `unknown_player` (the engine has never seen this player) or `not_found`.",
    409: "Refused by the game rules, e.g. `sold_out`, `wheel_exhausted`, `request_reused`.",
    503: "Too many concurrent commands for this player (`busy`): retry with the same request_id.",
}

_PLAYER = (400, 401, 404)
# (method, OpenAPI path) -> the statuses besides 200 the route answers.
ANSWERS: dict[tuple[str, str], tuple[int, ...]] = {
    ("get", "/v1/players/{player_id}/inbox"): (400, 401),
    ("post", "/v1/players/{player_id}/inbox/{message_id}/read"): (400, 401, 404),
    ("get", "/v1/players/{player_id}/summary"): _PLAYER,
    ("get", "/v1/players/{player_id}/points"): _PLAYER,
    ("get", "/v1/players/{player_id}/points/ledger"): (400, 401),
    ("get", "/v1/players/{player_id}/tier"): _PLAYER,
    ("get", "/v1/players/{player_id}/badges"): (400, 401),
    ("get", "/v1/players/{player_id}/missions"): _PLAYER,
    ("get", "/v1/players/{player_id}/spins"): (400, 401),
    ("post", "/v1/players/{player_id}/wheels/{wheel_id}/spin"): (400, 401, 403, 404, 409, 503),
    ("get", "/v1/store/items"): (401,),
    ("post", "/v1/players/{player_id}/store/{item_id}/buy"): (400, 401, 403, 404, 409, 503),
    ("get", "/v1/leaderboards/{board_id}"): (400, 401, 404),
    ("get", "/v1/players/{player_id}/leaderboards/{board_id}"): (400, 401, 404),
    ("get", "/v1/players/{player_id}/recommendations"): _PLAYER,
    ("get", "/v1/players/{player_id}/restock"): _PLAYER,
}


def documented(schema_json: str) -> str:
    """The generated document with the real answers, the error body and the auth scheme."""
    doc: dict[str, Any] = json.loads(schema_json)
    components = doc.setdefault("components", {})
    error_schema = ErrorOut.model_json_schema()
    components.setdefault("schemas", {})["ErrorOut"] = error_schema
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": (
            "AWS Signature Version 4 (API Gateway IAM authorization): sign each request "
            "with credentials allowed execute-api:Invoke by the PlayerApiCaller policy. "
            "API Gateway answers an unsigned or unauthorized request with 403 before the "
            "function runs."
        ),
        "x-amazon-apigateway-authtype": "awsSigv4",
    }
    doc["security"] = [{SECURITY_SCHEME: []}]
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = ANSWERS.get((method, path))
            if statuses is None:
                raise KeyError(f"no documented answers for {method.upper()} {path} (answers.py)")
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # validation errors are answered 400 here
            for status in statuses:
                responses[str(status)] = {
                    "description": ERROR_TEXT[status],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}
                    },
                }
    return json.dumps(doc)
