"""What the console API calls: the services, built by `shared.console.wiring`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.adapters.config_store import POLICY, RULE, SEGMENT, TEMPLATE
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.console.cognito import CognitoSignIn
from shared.console.devlogin import DevLogin
from shared.console.dryrun import DryRunResult, dry_run
from shared.console.lifecycle import ConfigAdmin
from shared.console.players import PlayerLookup
from shared.console.store import ConsoleConfigStore
from shared.console.users import CognitoUsers
from shared.domain.game_config import GAME_KINDS

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


@dataclass
class ConsoleServices:
    config: ConfigAdmin
    players: PlayerLookup
    dry_runs: DryRuns
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
