"""The player API's routes: wiring only (validate, call, answer).

Callers are the operator's backend servers, never players: in AWS every route has API
Gateway's IAM authorizer (SigV4, `execute-api:Invoke` granted by the PlayerApiCaller
policy), which puts the verified caller in `requestContext.authorizer.iam`. `gate` refuses
an event without it, so a route wired without the authorizer by mistake fails closed.
Locally the adapter checks its per-run key and fills the same field.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.console.http import refused_at_the_door, with_security_headers
from shared.domain.core.state import InboxMessage
from shared.player_api import schemas as s
from shared.player_api.answers import documented
from shared.player_api.cursors import BadCursor
from shared.player_api.params import BadRequest, NotFound, PlayerIdPath, UnknownPlayer
from shared.player_api.services import PlayerApiServices

OPENAPI_PATH = "/v1/openapi.json"
DEFAULT_PAGE_SIZE = 20


MessageIdPath = Annotated[str, Path(min_length=1, max_length=200)]


def _error(status: int, code: str, message: str) -> Response[str]:
    body = s.ErrorOut(error=code, message=message).model_dump_json()
    return Response(status_code=status, content_type="application/json", body=body)


def _message(m: InboxMessage) -> s.InboxMessageOut:
    return s.InboxMessageOut(
        message_id=m.message_id,
        template=m.template,
        category=m.category,
        subject=m.subject,
        text=m.text,
        delivered_at=m.delivered_at,
        expires_at=m.expires_at,
        read=m.read,
    )


def create_app(services: PlayerApiServices) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def request_invalid(exc: RequestValidationError) -> Response[str]:
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return _error(400, "bad_request", f"invalid request: {where}")

    @app.exception_handler(BadCursor)  # type: ignore[untyped-decorator]
    def bad_cursor(exc: BadCursor) -> Response[str]:
        return _error(400, "bad_request", str(exc))

    @app.exception_handler(BadRequest)  # type: ignore[untyped-decorator]
    def bad_request(exc: BadRequest) -> Response[str]:
        return _error(400, "bad_request", str(exc))

    @app.exception_handler(UnknownPlayer)  # type: ignore[untyped-decorator]
    def unknown_player(exc: UnknownPlayer) -> Response[str]:
        return _error(404, "unknown_player", str(exc))

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return _error(404, "not_found", "no such route")

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(
            status_code=200,
            content_type="application/json",
            body=documented(app.get_openapi_json_schema(title="engage player API", version="1")),
        )

    @app.get("/v1/players/<player_id>/inbox")
    def inbox(
        player_id: PlayerIdPath,
        unread: Annotated[bool, Query(description="Only unread messages")] = False,
        limit: Annotated[int, Query(ge=1, le=s.MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[str | None, Query(max_length=1024)] = None,
    ) -> s.InboxPageOut:
        """The player's live (unexpired) in-app messages, newest first."""
        messages, next_cursor = services.inbox.page(
            player_id, limit=limit, unread_only=unread, cursor=cursor
        )
        return s.InboxPageOut(
            player_id=player_id, messages=[_message(m) for m in messages], next_cursor=next_cursor
        )

    @app.post("/v1/players/<player_id>/inbox/<message_id>/read")
    def mark_read(player_id: PlayerIdPath, message_id: MessageIdPath) -> s.ReadOut:
        """Mark one message read (idempotent); 404 if there is no such live message."""
        if not services.inbox.mark_read(player_id, message_id):
            # A typed 404 body, like every other error of this API.
            raise NotFound("no such message (or it expired)")
        return s.ReadOut(player_id=player_id, message_id=message_id)

    @app.exception_handler(NotFound)  # type: ignore[untyped-decorator]
    def missing(exc: NotFound) -> Response[str]:
        return _error(404, "not_found", str(exc))

    @app.get("/v1/players/<player_id>/summary")
    def summary(player_id: PlayerIdPath) -> s.SummaryOut:
        """Points, lifecycle stage, segments and unread count (no contact data)."""
        found = services.inbox.summary(player_id)
        if not found.known:
            raise UnknownPlayer(player_id)
        return s.SummaryOut(
            player_id=player_id,
            points_balance=found.points_balance,
            lifecycle_stage=found.lifecycle_stage,
            segments=found.segments,
            unread_count=found.unread_count,
        )

    # Area routes import this module's path types, so they are imported once it is loaded.
    from shared.player_api import (
        routes_games,
        routes_leaderboards,
        routes_missions,
        routes_points,
        routes_shop,
    )

    routes_points.register(app, services)
    routes_missions.register(app, services)
    routes_games.register(app, services)
    routes_leaderboards.register(app, services)
    routes_shop.register(app, services)
    return app


def caller_identity(event: dict[str, Any]) -> dict[str, Any] | None:
    """What API Gateway's IAM authorizer verified (caller ARN, account), if anything."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    iam = authorizer.get("iam")
    return iam if isinstance(iam, dict) and iam.get("userArn") else None


def handle(app: APIGatewayHttpResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Resolve one HTTP API (v2) event; refuse it if no IAM-verified caller is attached."""
    if caller_identity(event) is None:
        refused = _error(401, "unauthenticated", "this API needs a SigV4-signed request")
        return refused_at_the_door(refused.status_code, str(refused.body))
    return with_security_headers(app.resolve(event, context))
