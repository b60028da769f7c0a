"""What the console API calls: the services, built by `shared.console.wiring`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.adapters.config_store import POLICY, RULE, SEGMENT, TEMPLATE
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.console.cognito import CognitoSignIn
from shared.console.devlogin import DevLogin
from shared.console.dryrun import DryRunResult, dry_run
from shared.console.errors import FieldError, Invalid, NotFound
from shared.console.kinds import validate_document
from shared.console.lifecycle import ConfigAdmin
from shared.console.players import PlayerLookup
from shared.console.preview import render_variants
from shared.console.reach import Reach, estimate, player_document
from shared.console.schemas import PreviewIn, PreviewOut, ReachIn, RenderedEmailOut
from shared.console.store import ConsoleConfigStore
from shared.console.users import CognitoUsers
from shared.domain.core.config import TEMPLATE_VARIABLES, MessageTemplate
from shared.domain.game.game_config import GAME_KINDS
from shared.domain.language.actions import check_pattern

if TYPE_CHECKING:
    from shared.console.reports import ReportSource


class DryRuns:
    """Loads the player's state and the config items (reads only), then runs the pure dry-run."""

    def __init__(self, players: PlayerStore, config: ConsoleConfigStore, clock: Clock) -> None:
        self._players = players
        self._config = config
        self._clock = clock

    def run(
        self, draft: Mapping[str, Any], envelope: Mapping[str, Any], player_id: str
    ) -> DryRunResult:
        return dry_run(
            draft=draft,
            envelope=envelope,
            player_id=player_id,
            state=self._players.state(player_id),
            rule_items=[i.body() or {} for i in self._config.items(RULE)],
            template_items=[i.body() or {} for i in self._config.items(TEMPLATE)],
            # The same items the engine compiles: RG thresholds change what is suppressed,
            # segments what the player belongs to.
            policy_items=[i.body() or {} for i in self._config.items(POLICY)],
            segment_items=[i.body() or {} for i in self._config.items(SEGMENT)],
            game_items={
                kind: [i.body() or {} for i in self._config.items(kind)] for kind in GAME_KINDS
            },
            config_version=self._config.published_version(),
            now=self._clock.now(),
        )


class ReachEstimates:
    """Counts current players a condition holds for: a bounded scan of player states."""

    def __init__(self, players: PlayerStore, clock: Clock, max_players: int = 10_000) -> None:
        self._players = players
        self._clock = clock
        self._max = max_players

    def estimate(self, pattern: Mapping[str, Any], path: str) -> Reach:
        states, complete = self._players.scan_states(self._max)
        return estimate(pattern, states, self._clock.now(), complete=complete, path=path)


def reach_pattern(config: ConfigAdmin, request: ReachIn) -> tuple[dict[str, Any], str]:
    """The condition to count, validated as the kind it comes from, and its field path."""
    given = [n for n in ("segment", "rule", "condition") if getattr(request, n) is not None]
    if len(given) != 1:
        raise Invalid(
            "give exactly one of segment, rule or condition",
            [FieldError("(document)", f"got {given or 'none'}")],
        )
    if request.segment is not None:
        segment = validate_document(config.kind(SEGMENT), request.segment, prefix="segment")
        return dict(segment.match), "segment.match"
    if request.rule is not None:
        rule = validate_document(config.kind(RULE), request.rule, prefix="rule")
        return dict(rule.match or {}), "rule.match"
    condition = dict(request.condition or {})
    try:
        check_pattern(condition, "condition")
    except ValueError as exc:
        raise Invalid("the condition is not valid", [FieldError("condition", str(exc))]) from exc
    return condition, "condition"


def preview_template(config: ConfigAdmin, players: PlayerStore, request: PreviewIn) -> PreviewOut:
    """Every locale of the template (the draft in place of its own), rendered per locale."""
    variants: dict[str, MessageTemplate] = {}
    for body in config.bodies()[TEMPLATE].values():
        try:
            tpl = MessageTemplate.model_validate(body)
        except ValidationError:
            continue  # a broken variant is listed with its problems elsewhere; not previewable
        if tpl.template_id == request.template_id and tpl.channel == request.channel:
            variants[tpl.locale] = tpl
    if request.draft is not None:
        draft = validate_document(config.kind(TEMPLATE), request.draft, prefix="draft")
        if (draft.template_id, draft.channel) != (request.template_id, request.channel):
            raise Invalid(
                "the draft is another template",
                [FieldError("draft.template_id", "must match template_id and channel")],
            )
        variants[draft.locale] = draft
    if not variants:
        raise NotFound(f"no {request.channel} template {request.template_id!r}")
    values: dict[str, Any] = {}
    source = "sample values"
    if request.player_id is not None:
        state = players.state(request.player_id)
        if state is None:
            raise NotFound(f"no player {request.player_id!r}")
        player = player_document(state, config.now())["player"]
        values = {k: player.get(k) for k in TEMPLATE_VARIABLES}
        source = f"player {request.player_id}"
    rendered = render_variants(variants.values(), values)
    return PreviewOut(
        template_id=request.template_id,
        channel=request.channel,
        values_from=source,
        variants=[RenderedEmailOut.model_validate(asdict(r)) for r in rendered],
    )


@dataclass
class ConsoleServices:
    config: ConfigAdmin
    players: PlayerLookup
    dry_runs: DryRuns
    reach: ReachEstimates
    # Exactly one way to sign in: the Cognito hosted UI in AWS, the dev login locally.
    sign_in: CognitoSignIn | None = None
    dev_login: DevLogin | None = None
    # Console users (admins only); None where there is no user pool to manage.
    users: CognitoUsers | None = None
    # The Reports tab's source; None where no event lake is wired (see docs/reports.md).
    reports: ReportSource | None = None
    # Backtest a draft over the event lake (JSON summary); None where no lake is wired
    # (docs/backtest.md: in AWS the Step Functions backtest runs it at scale).
    backtests: Callable[[Mapping[str, Any], str | None, str | None], dict[str, Any]] | None = None
    # "Why did (or didn't) this player get that message?" from a replay of the lake.
    explains: Callable[[str, str | None], dict[str, Any]] | None = None
