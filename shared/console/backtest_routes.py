"""`POST /api/backtest`: the draft being edited, replayed over the event lake (writes nothing);
`GET /api/players/<id>/explain?template=T`: why the player did (or didn't) get it.

Registered only where the services are wired (the local runtime's lake). Body: `{"rule":
{...}}` (the rule in the editor) or `{"config": {...}}` (a draft document, docs/backtest.md),
with optional `from` / `to` UTC days. The answer is the backtest's JSON summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from shared.console.errors import FieldError, Invalid
from shared.console.roles import Identity

Backtests = Callable[[Mapping[str, Any], str | None, str | None], dict[str, Any]]
Explains = Callable[[str, str | None], dict[str, Any]]


def draft_document(body: Any) -> dict[str, Any]:
    """The draft a request names, as a draft document; Invalid naming the field otherwise."""
    if not isinstance(body, Mapping):
        raise Invalid("the request is not valid", [FieldError("body", "expected a JSON object")])
    rule, config = body.get("rule"), body.get("config")
    if (rule is None) == (config is None):
        raise Invalid(
            "the request is not valid",
            [FieldError("body", "give either 'rule' (one draft rule) or 'config' (a draft)")],
        )
    if rule is not None:
        if not isinstance(rule, Mapping):
            raise Invalid("the request is not valid", [FieldError("rule", "expected an object")])
        return {"rules": [dict(rule)]}
    if not isinstance(config, Mapping):
        raise Invalid("the request is not valid", [FieldError("config", "expected an object")])
    return dict(config)


def _day(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise Invalid("the request is not valid", [FieldError(name, "expected YYYY-MM-DD")])
    return value


def register_backtest(
    app: APIGatewayHttpResolver,
    backtests: Backtests | None,
    explains: Explains | None,
    reader: Callable[[], Identity],
) -> None:
    if backtests is not None:

        @app.post("/api/backtest")
        def handle_backtest() -> dict[str, Any]:
            """Replay the lake under the published config and the draft; the difference."""
            reader()
            body = app.current_event.json_body
            document = draft_document(body)
            return backtests(document, _day(body, "from"), _day(body, "to"))

    if explains is not None:

        @app.get("/api/players/<player_id>/explain")
        def explain_player(player_id: str) -> dict[str, Any]:
            """The replay's trace for one player (and one template, if given)."""
            reader()
            template = app.current_event.get_query_string_value("template") or None
            return explains(unquote(player_id), template)
