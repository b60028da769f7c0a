"""Player API: a leaderboard's top N, and one player's score and rank on it.

Reads the board's ranking index (eventually consistent: a score is visible within about a
second of its event being applied). The period defaults to the one open now.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict

from shared.player_api.params import PlayerIdPath

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from shared.player_api.services import PlayerApiServices

BoardIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
PeriodQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class RankedOut(_Out):
    rank: int
    player_id: str
    score: Decimal
    reached_at: datetime


class LeaderboardOut(_Out):
    board_id: str
    name: str
    period: str
    ends_at: datetime | None
    entries: list[RankedOut]


class MyRankOut(_Out):
    board_id: str
    player_id: str
    period: str
    on_board: bool
    score: Decimal | None = None
    rank: int | None = None
    # True when the rank is estimated (deep ranks, see docs/leaderboards.md).
    approximate: bool = False


def register(app: APIGatewayHttpResolver, services: PlayerApiServices) -> None:
    """Add the leaderboard routes (a missing board or period answers 404, as NotFound)."""
    boards = services.leaderboards

    @app.get("/v1/leaderboards/<board_id>")
    def leaderboard(
        board_id: BoardIdPath,
        period: PeriodQuery = None,
        limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    ) -> LeaderboardOut:
        """The board's top N (default: its configured top_n) for a period (default: now)."""
        svc = boards
        board = svc.board(board_id)
        key, ends_at = svc.period(board, period)
        top = svc.boards.top(board_id, key, board.shards, limit or board.top_n)
        return LeaderboardOut(
            board_id=board_id,
            name=board.name,
            period=key,
            ends_at=ends_at,
            entries=[
                RankedOut(
                    rank=p.rank,
                    player_id=p.entry.player_id,
                    score=p.entry.score,
                    reached_at=p.entry.reached_at,
                )
                for p in top
            ],
        )

    @app.get("/v1/players/<player_id>/leaderboards/<board_id>")
    def my_rank(
        player_id: PlayerIdPath,
        board_id: BoardIdPath,
        period: PeriodQuery = None,
    ) -> MyRankOut:
        """The player's score and rank on the board for a period (default: now)."""
        svc = boards
        board = svc.board(board_id)
        key, _ = svc.period(board, period)
        mine = svc.boards.rank(player_id, board_id, key, board.shards)
        if mine is None:
            return MyRankOut(board_id=board_id, player_id=player_id, period=key, on_board=False)
        return MyRankOut(
            board_id=board_id,
            player_id=player_id,
            period=key,
            on_board=True,
            score=mine.entry.score,
            rank=mine.rank,
            approximate=mine.approximate,
        )
