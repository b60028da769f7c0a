"""What the player API reads about leaderboards: a board, its current period, its index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.adapters.leaderboard_store import LeaderboardStore
from shared.clock import Clock
from shared.domain.game.leaderboards import Leaderboard, period_at, period_key_problem
from shared.player_api.params import BadRequest, NotFound
from shared.services.config_cache import ConfigCache


@dataclass
class PlayerLeaderboards:
    boards: LeaderboardStore
    config: ConfigCache
    clock: Clock

    def board(self, board_id: str) -> Leaderboard:
        board = self.config.current().game.leaderboards.get(board_id)
        if board is None:
            raise NotFound(f"no leaderboard {board_id!r}")
        return board

    def period(self, board: Leaderboard, period: str | None) -> tuple[str, datetime | None]:
        if period is not None:
            problem = period_key_problem(board.window, period)
            if problem is not None:
                raise BadRequest(f"period {period!r}: {problem}")
            return period, None
        current = period_at(board.window, self.clock.now())
        if current is None and board.window.starts_at is not None:
            # A fixed board outside its window: show its one period (results or preview).
            current = period_at(board.window, board.window.starts_at)
        if current is None:
            raise NotFound("no period is open")
        return current.key, current.end
