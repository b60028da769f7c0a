"""Builds the player API's services: once per cold start, or installed by tests/local runtime."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared.adapters.config_store import ConfigStore
from shared.adapters.game_pools import GamePools
from shared.adapters.leaderboard_store import LeaderboardStore
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock, SystemClock
from shared.player_api.leaderboards import PlayerLeaderboards
from shared.player_api.missions import PlayerMissions
from shared.player_api.points import PlayerPoints
from shared.player_api.services import PlayerApiServices, PlayerInbox
from shared.player_api.settings import player_api_settings
from shared.player_api.shop import PlayerShop
from shared.services.config_cache import ConfigCache
from shared.services.game_commands import GameCommands
from shared.wiring import AwsClients

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver


def build_player_api(
    *, player_table: str, config_table: str, clients: AwsClients, clock: Clock
) -> PlayerApiServices:
    ddb = clients.client("dynamodb")
    players = PlayerStore(player_table, ddb)
    config = ConfigCache(ConfigStore(config_table, ddb))
    return PlayerApiServices(
        inbox=PlayerInbox(players, clock),
        points=PlayerPoints(players, config, clock),
        missions=PlayerMissions(players, lambda: config.current().game, clock),
        games=GameCommands(players, GamePools(player_table, ddb), config, clock),
        leaderboards=PlayerLeaderboards(LeaderboardStore(player_table, ddb), config, clock),
        shop=PlayerShop(players, config, clock),
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
            config_table=settings.config_table,
            clients=AwsClients(),
            clock=SystemClock(),
        )
    built = _installed["services"]
    assert isinstance(built, PlayerApiServices)
    return built


def app() -> APIGatewayHttpResolver:
    if "app" not in _installed:
        from shared.player_api.api import create_app

        _installed["app"] = create_app(services())
    return _installed["app"]  # type: ignore[return-value]
