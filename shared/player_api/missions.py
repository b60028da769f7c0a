"""What the player API reads about missions: each one as this player sees it now."""

from __future__ import annotations

from collections.abc import Callable

from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.domain.basics.calendar_dates import zone
from shared.domain.game.game_config import GameConfig
from shared.domain.game.mission_views import MissionView, mission_view
from shared.player_api.params import UnknownPlayer


class PlayerMissions:
    """Every enabled mission as this player sees it now (their time zone, the clock)."""

    def __init__(self, players: PlayerStore, game: Callable[[], GameConfig], clock: Clock) -> None:
        self._players = players
        self._game = game
        self._clock = clock

    def list(self, player_id: str) -> list[MissionView]:
        state = self._players.state(player_id)
        if state is None:
            raise UnknownPlayer(player_id)
        tz = zone(state.profile.time_zone)
        now = self._clock.now()
        missions = self._game().missions
        return [mission_view(missions[m], state.missions.get(m), tz, now) for m in sorted(missions)]
