"""Builds the player API's services: once per cold start, or installed by tests/local runtime."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared.adapters.player_store import PlayerStore
from shared.clock import Clock, SystemClock
from shared.player_api.services import PlayerApiServices, PlayerInbox
from shared.player_api.settings import player_api_settings
from shared.wiring import AwsClients

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver


def build_player_api(
    *, player_table: str, clients: AwsClients, clock: Clock, config_table: str | None = None
) -> PlayerApiServices:
    players = PlayerStore(player_table, clients.client("dynamodb"))
    return PlayerApiServices(
        inbox=PlayerInbox(players, clock),
        leaderboards=_leaderboards(player_table, config_table, clients, clock),
    )


def _leaderboards(
    player_table: str, config_table: str | None, clients: AwsClients, clock: Clock
) -> object:
    if config_table is None:
        return None
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.leaderboard_store import LeaderboardStore
    from shared.player_api.routes_leaderboards import PlayerLeaderboards
    from shared.services.config_cache import ConfigCache

    ddb = clients.client("dynamodb")
    return PlayerLeaderboards(
        LeaderboardStore(player_table, ddb), ConfigCache(ConfigStore(config_table, ddb)), clock
    )


_installed: dict[str, object] = {}


def install(services: PlayerApiServices) -> None:
    _installed.clear()
    _installed["services"] = services


def reset() -> None:
    _installed.clear()


def services() -> PlayerApiServices:
    if "services" not in _installed:
        settings = player_api_settings(os.environ)
        _installed["services"] = build_player_api(
            player_table=settings.player_table,
            clients=AwsClients(),
            clock=SystemClock(),
            config_table=settings.config_table,
        )
    built = _installed["services"]
    assert isinstance(built, PlayerApiServices)
    return built


def app() -> APIGatewayHttpResolver:
    if "app" not in _installed:
        from shared.player_api.api import create_app

        _installed["app"] = create_app(services())
    return _installed["app"]  # type: ignore[return-value]
