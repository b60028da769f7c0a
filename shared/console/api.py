"""The console's HTTP API and UI: routes are wiring only (authorize, parse, call, answer).

Reads need any console role (viewer and up); every write needs marketer or admin. The
caller's identity is what API Gateway's JWT authorizer verified (`cognito:groups` gives
the role); locally the dev-login adapter fills the same claims. No claims means 401.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.adapters.config_store import RULE
from shared.console import schemas as s
from shared.console.errors import ConsoleError, FieldError, Invalid, NotFound
from shared.console.forms import form_schema, new_document, picker_options
from shared.console.http import refused_at_the_door, static_files, with_security_headers
from shared.console.journey import journey, rule_counts
from shared.console.lifecycle import HistoryEntry, ItemView
from shared.console.roles import Identity, Role, identity_from_claims, require
from shared.console.services import ConsoleServices, preview_template, reach_pattern
from shared.console.store import Publication
from shared.console.users import CognitoUsers
from shared.domain.language.patterns import PatternError

API_PREFIX = "/api/"
OPENAPI_PATH = "/api/openapi.json"
ADMIN_PREFIX = "/api/admin/"
# POSTs that only compute an answer (they write nothing), open to viewers.
READ_ONLY_POSTS = frozenset({"/api/dry-run", "/api/backtest", "/api/reach", "/api/preview"})


def _error(status: int, code: str, message: str, errors: list[FieldError]) -> Response[str]:
    body = s.ErrorOut(
        error=code,
        message=message,
        errors=[s.FieldErrorOut(path=e.path, message=e.message) for e in errors],
    )
    return Response(
        status_code=status, content_type="application/json", body=body.model_dump_json()
    )


def _item(view: ItemView) -> s.ItemOut:
    return s.ItemOut(
        kind=view.kind,
        item_id=view.item_id,
        version=view.version,
        body=view.body,
        updated_at=view.updated_at,
        updated_by=view.updated_by,
        enabled=view.enabled,
        problems=[s.FieldErrorOut(path=p.path, message=p.message) for p in view.problems],
        warnings=[s.FieldErrorOut(path=w.path, message=w.message) for w in view.warnings],
        status=view.status,
        live_version=view.live_version,
    )


def _publication(p: Publication) -> s.PublicationOut:
    return s.PublicationOut(
        config_version=p.config_version, items=p.items, actor=p.actor, at=p.at, note=p.note
    )


def _history(e: HistoryEntry) -> s.HistoryEntryOut:
    return s.HistoryEntryOut.model_validate(asdict(e))


def create_app(services: ConsoleServices) -> APIGatewayHttpResolver:
    """Build the resolver for these services (`/dev/login` only if they carry a dev login)."""
    app = APIGatewayHttpResolver(enable_validation=True)

    def caller() -> Identity | None:
        return identity_from_claims(_claims(app.current_event.raw_event))

    def reader() -> Identity:
        return require(caller(), Role.VIEWER)

    def writer() -> Identity:
        return require(caller(), Role.MARKETER)

    @app.exception_handler(ConsoleError)  # type: ignore[untyped-decorator]
    def console_error(exc: ConsoleError) -> Response[str]:
        return _error(exc.status, exc.code, exc.message, exc.errors)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def request_invalid(exc: RequestValidationError) -> Response[str]:
        errors = [
            FieldError(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", e["type"])))
            for e in exc.errors()
        ]
        return _error(422, "invalid", "the request is not valid", errors)

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return _error(404, "not_found", "no such page or route", [])

    # --- the UI (public: the page must load before anyone signs in) -------------------

    @app.get("/", include_in_schema=False)
    def index() -> Response[str]:
        content_type, text = static_files()["index.html"]
        return Response(status_code=200, content_type=content_type, body=text)

    @app.get("/static/<name>", include_in_schema=False)
    def static(name: str) -> Response[str]:
        found = static_files().get(name)
        if found is None or name == "index.html":
            raise NotFound("no such file")
        return Response(status_code=200, content_type=found[0], body=found[1])

    @app.get("/console-config.json")
    def ui_config() -> s.UiConfigOut:
        """How the page signs users in."""
        if services.dev_login is not None:
            return s.UiConfigOut(auth="dev")
        sign_in = services.sign_in
        return s.UiConfigOut(
            auth="cognito",
            domain=sign_in.domain if sign_in else None,
            client_id=sign_in.client_id if sign_in else None,
        )

    @app.post("/auth/token")
    def auth_token(request: s.SignInIn) -> s.TokenOut:
        """Exchange a hosted-UI authorization code (+ PKCE verifier) for an access token."""
        if services.sign_in is None:
            raise NotFound("Cognito sign-in is not configured here")
        tokens = services.sign_in.exchange(request.code, request.verifier, request.redirect_uri)
        return s.TokenOut(token=tokens["access_token"], expires_in=tokens["expires_in"])

    dev_login = services.dev_login
    if dev_login is not None:
        # Registered only when the local runtime installed a dev login: in Lambda this route
        # does not exist (404), whatever the request says.
        @app.post("/dev/login")
        def dev_sign_in(request: s.DevLoginIn) -> s.TokenOut:
            """Local only: a signed, expiring token for the chosen user and role."""
            token, expires_in = dev_login.issue(request.user, request.role)
            return s.TokenOut(token=token, expires_in=expires_in)

    # --- API: who am I, what kinds ----------------------------------------------------

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        reader()
        return Response(
            status_code=200,
            content_type="application/json",
            body=app.get_openapi_json_schema(title="engage console API", version="1"),
        )

    @app.get("/api/me")
    def me() -> s.MeOut:
        who = reader()
        return s.MeOut(user=who.user, role=who.role, can_write=who.can(Role.MARKETER))

    @app.get("/api/kinds")
    def kinds() -> list[s.KindOut]:
        reader()
        return [
            s.KindOut(name=k.name, label=k.label, can_enable=k.can_enable)
            for k in services.config.kinds()
        ]

    @app.get("/api/kinds/<kind>/form")
    def kind_form(kind: str) -> s.FormOut:
        """The kind's form: its model's JSON Schema annotated with pickers and help."""
        reader()
        model = services.config.kind(kind).model
        schema = form_schema(model)
        return s.FormOut(kind=kind, form=schema, new=new_document(kind, schema))

    @app.get("/api/pickers")
    def pickers() -> s.PickersOut:
        """What the forms' pickers offer, from the config stored now."""
        reader()
        return s.PickersOut.model_validate(picker_options(services.config.bodies()))

    # --- API: config lifecycle --------------------------------------------------------

    @app.get("/api/config/<kind>")
    def list_items(kind: str) -> s.ItemsOut:
        reader()
        items = services.config.list_items(kind)
        return s.ItemsOut(
            kind=kind,
            published_version=services.config.published_version(),
            items=[_item(i) for i in items],
        )

    @app.post("/api/config/<kind>")
    def handle_create_item(kind: str, request: s.CreateIn) -> Response[str]:
        who = writer()
        created = services.config.create(kind, request.body, who.user)
        return Response(201, "application/json", _item(created).model_dump_json())

    @app.get("/api/config/<kind>/<item_id>")
    def get_item(kind: str, item_id: str) -> s.ItemOut:
        reader()
        return _item(services.config.get(kind, unquote(item_id)))

    @app.put("/api/config/<kind>/<item_id>")
    def handle_update_item(kind: str, item_id: str, request: s.UpdateIn) -> s.ItemOut:
        who = writer()
        updated = services.config.update(
            kind, unquote(item_id), request.body, request.version, who.user
        )
        return _item(updated)

    @app.post("/api/config/<kind>/<item_id>/enable")
    def handle_enable_item(kind: str, item_id: str, request: s.VersionIn) -> s.ItemOut:
        who = writer()
        return _item(
            services.config.set_enabled(kind, unquote(item_id), True, request.version, who.user)
        )

    @app.post("/api/config/<kind>/<item_id>/disable")
    def handle_disable_item(kind: str, item_id: str, request: s.VersionIn) -> s.ItemOut:
        who = writer()
        return _item(
            services.config.set_enabled(kind, unquote(item_id), False, request.version, who.user)
        )

    @app.delete("/api/config/<kind>/<item_id>")
    def handle_delete_item(
        kind: str, item_id: str, version: Annotated[int, Query(ge=0)]
    ) -> s.DeletedOut:
        who = writer()
        services.config.delete(kind, unquote(item_id), version, who.user)
        return s.DeletedOut(kind=kind, item_id=unquote(item_id), deleted=True)

    @app.get("/api/config/<kind>/<item_id>/history")
    def item_history(kind: str, item_id: str) -> s.HistoryOut:
        reader()
        entries = services.config.history(kind, unquote(item_id))
        return s.HistoryOut(
            kind=kind, item_id=unquote(item_id), entries=[_history(e) for e in entries]
        )

    # --- API: publish and roll back ---------------------------------------------------

    @app.get("/api/publications")
    def publications() -> s.PublicationsOut:
        reader()
        return s.PublicationsOut(
            published_version=services.config.published_version(),
            publications=[_publication(p) for p in services.config.publications()],
        )

    @app.get("/api/changes")
    def pending_changes() -> s.PendingOut:
        """Drafts, new items and deletions not yet live, each with its diff and authors."""
        reader()
        return s.PendingOut(
            published_version=services.config.published_version(),
            changes=[
                s.PendingChangeOut.model_validate(asdict(c)) for c in services.config.pending()
            ],
        )

    @app.post("/api/publish")
    def handle_publish(request: s.PublishIn) -> s.PublicationOut:
        who = writer()
        selected = (
            [(c.kind, c.item_id) for c in request.changes] if request.changes is not None else None
        )
        return _publication(
            services.config.publish(
                who.user, expected=request.expected_version, note=request.note, selected=selected
            )
        )

    @app.get("/api/activity")
    def activity() -> s.ActivityOut:
        """Who changed what across every item, newest first, publishes included."""
        reader()
        return s.ActivityOut(
            entries=[
                s.ActivityEntryOut.model_validate(asdict(e)) for e in services.config.activity()
            ]
        )

    # --- API: journey, reach and preview (read-only) ----------------------------------

    @app.get("/api/journey")
    def journey_graph(
        prefix: Annotated[str, Query(max_length=64)] = "",
        rules: Annotated[list[str] | None, Query(max_length=200)] = None,
        counts: Annotated[bool, Query(description="Add per-rule figures from reports.")] = False,
    ) -> s.JourneyOut:
        """The rules (ids starting with `prefix`, and among `rules` if given) as a flow graph."""
        reader()
        wanted = {r for listed in rules or [] for r in listed.split(",") if r}
        chosen = [
            body
            for body in services.config.bodies()[RULE].values()
            if str(body.get("rule_id", "")).startswith(prefix)
            and (not wanted or body.get("rule_id") in wanted)
        ]
        # The report runs its queries over the lake: only when asked for.
        figures, source = rule_counts(services.reports if counts else None)
        graph = journey(chosen, figures)
        return s.JourneyOut(nodes=graph["nodes"], edges=graph["edges"], counts_from=source)

    @app.post("/api/reach")
    def reach(request: s.ReachIn) -> s.ReachOut:
        """How many current players a segment, a rule's condition or a condition holds for."""
        reader()
        pattern, path = reach_pattern(services.config, request)
        try:
            result = services.reach.estimate(pattern, path)
        except PatternError as exc:
            raise Invalid("the condition is not valid", [FieldError(path, str(exc))]) from exc
        return s.ReachOut.model_validate(asdict(result))

    @app.post("/api/preview")
    def preview(request: s.PreviewIn) -> s.PreviewOut:
        """Each locale of a template rendered as the player would get it."""
        reader()
        return preview_template(services.config, services.players.store, request)

    @app.post("/api/publications/<version>/rollback")
    def handle_rollback(version: int) -> s.PublicationOut:
        who = writer()
        return _publication(services.config.rollback(version, who.user))

    # --- API: dry-run and players (read-only) -----------------------------------------

    @app.post("/api/dry-run")
    def dry_run(request: s.DryRunIn) -> s.DryRunOut:
        reader()
        result = services.dry_runs.run(request.rule, request.event, request.player_id)
        return s.DryRunOut.model_validate(asdict(result))

    # --- API: console users (admins only) ---------------------------------------------

    def users() -> CognitoUsers:
        require(caller(), Role.ADMIN)
        if services.users is None:
            raise NotFound("user management needs a Cognito user pool; none is configured")
        return services.users

    @app.get("/api/admin/users")
    def list_users() -> s.UsersOut:
        return s.UsersOut(users=[s.UserOut.model_validate(asdict(u)) for u in users().all()])

    @app.post("/api/admin/users")
    def handle_invite_user(request: s.InviteIn) -> Response[str]:
        invited = users().invite(request.username, request.email, request.role)
        body = s.UserOut.model_validate(asdict(invited))
        return Response(201, "application/json", body.model_dump_json())

    @app.put("/api/admin/users/<username>/role")
    def handle_set_user_role(username: str, request: s.RoleIn) -> s.UserChangedOut:
        users().set_role(unquote(username), request.role)
        return s.UserChangedOut(username=unquote(username), role=request.role, enabled=True)

    @app.post("/api/admin/users/<username>/disable")
    def handle_disable_user(username: str) -> s.UserChangedOut:
        users().disable(unquote(username))
        return s.UserChangedOut(username=unquote(username), role=None, enabled=False)

    reports = services.reports
    if reports is not None:

        @app.get("/api/reports")
        def report(
            date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
            date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
            run: Annotated[str | None, Query(max_length=8192)] = None,
        ) -> Response[str]:
            """Campaign and player KPIs from the event lake: 200 with the figures, or 202
            `running` with a `run` token to ask again with (docs/reports.md)."""
            reader()
            answer = reports.answer(date_from, date_to, run)
            status = 202 if answer["status"] == "running" else 200
            return Response(status, "application/json", json.dumps(answer))

    if services.backtests is not None or services.explains is not None:
        from shared.console.backtest_routes import register_backtest

        register_backtest(app, services.backtests, services.explains, reader)

    @app.get("/api/players/<player_id>")
    def player(player_id: str) -> dict[str, Any]:
        reader()
        return services.players.view(unquote(player_id))

    return app


def _claims(event: dict[str, Any]) -> Any:
    context = event.get("requestContext") or {}
    return ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")


def gate(event: dict[str, Any]) -> None:
    """Authorize before anything else runs (request validation included).

    Every /api route needs a console role; every method that changes something needs
    marketer or admin, except the read-only POSTs; user management needs admin. Deciding by
    method here means a new write route cannot forget its check; the routes check again.
    """
    path = str(event.get("rawPath") or "")
    if not path.startswith(API_PREFIX):
        return
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "GET"))
    reads = method in ("GET", "HEAD", "OPTIONS") or path in READ_ONLY_POSTS
    needed = Role.VIEWER if reads else Role.MARKETER
    if path.startswith(ADMIN_PREFIX):
        needed = Role.ADMIN
    require(identity_from_claims(_claims(event)), needed)


def handle(app: APIGatewayHttpResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Resolve one API Gateway HTTP API (v2) event; every answer gets the security headers."""
    try:
        gate(event)
    except ConsoleError as exc:
        refused = _error(exc.status, exc.code, exc.message, exc.errors)
        return refused_at_the_door(refused.status_code, str(refused.body))
    return with_security_headers(app.resolve(event, context))
