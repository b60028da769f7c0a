"""Builds the leaderboard settle service and the board index (like shared/wiring.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events.models import LEADERBOARD_SOURCE
from shared.adapters.board_index import BoardIndex
from shared.adapters.config_store import ConfigStore
from shared.adapters.event_batches import BatchPublisher
from shared.adapters.leaderboard_store import LeaderboardStore
from shared.clock import Clock, SystemClock
from shared.services.config_cache import ConfigCache
from shared.services.leaderboard_settle import LeaderboardSettle
from shared.settings import _from_env
from shared.wiring import AwsClients


class SettleSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    bus_arn: str = Field(min_length=1)


def settle_settings(environ: Mapping[str, str]) -> SettleSettings:
    return _from_env(SettleSettings, environ)


def build_settle(
    settings: SettleSettings, clock: Clock, clients: AwsClients, on_config_problem: Any = None
) -> LeaderboardSettle:
    ddb = clients.client("dynamodb")
    return LeaderboardSettle(
        boards=LeaderboardStore(settings.player_table, ddb),
        config=ConfigCache(ConfigStore(settings.config_table, ddb), on_config_problem),
        publisher=BatchPublisher(clients.client("events"), settings.bus_arn, LEADERBOARD_SOURCE),
        clock=clock,
    )


class IndexSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)


def build_index(settings: IndexSettings, clients: AwsClients) -> BoardIndex:
    return BoardIndex(settings.player_table, clients.client("dynamodb"))


_installed: dict[str, LeaderboardSettle] = {}
_index: dict[str, BoardIndex] = {}


def install(settle: LeaderboardSettle) -> None:
    _installed["settle"] = settle


def reset() -> None:
    _installed.clear()
    _index.clear()


def settle() -> LeaderboardSettle:
    if "settle" not in _installed:
        _installed["settle"] = build_settle(
            settle_settings(os.environ), SystemClock(), AwsClients()
        )
    return _installed["settle"]


def index() -> BoardIndex:
    """The board index of this function's environment (built once per cold start)."""
    if "index" not in _index:
        _index["index"] = build_index(_from_env(IndexSettings, os.environ), AwsClients())
    return _index["index"]
