"""Settle closed leaderboard periods: publish one prize event per prize-winning rank.

Run by a recurring schedule (every minute in AWS; each virtual-clock step locally). For
every board with prizes, the last few periods that closed (end + grace + INDEX_LAG passed)
and are not yet marked settled are read (top `prize_depth` across shards) and their prize
events are put on the bus, then the period is marked settled. A crash between the two
reruns the publish: each prize event has a deterministic event_id per (board, period,
player), so the engine applies it once (its EVENT# marker, and the prize_rank guard in the
player's state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from events.models import LeaderboardPrize
from shared.adapters.leaderboard_store import LeaderboardStore
from shared.clock import Clock
from shared.domain.game.leaderboards import INDEX_LAG, closed_periods, prize_event_id
from shared.services.config_cache import ConfigCache


class PrizePublisher(Protocol):
    def publish_all(self, detail_type: str, details: Sequence[Mapping[str, Any]]) -> int: ...


@dataclass
class SettleOutcome:
    settled: list[str] = field(default_factory=list)
    prizes: int = 0


class LeaderboardSettle:
    def __init__(
        self,
        boards: LeaderboardStore,
        config: ConfigCache,
        publisher: PrizePublisher,
        clock: Clock,
    ) -> None:
        self._boards = boards
        self._config = config
        self._publisher = publisher
        self._clock = clock

    def run(self) -> SettleOutcome:
        """Settle every closed, unsettled period of every board with prizes."""
        now = self._clock.now()
        outcome = SettleOutcome()
        for board in self._config.current().game.leaderboards.values():
            if not board.prizes:
                continue
            # Its entries trail the commits by the stream's lag (INDEX_LAG).
            for period in closed_periods(board.window, now - INDEX_LAG, board.grace):
                if self._boards.settled(board.board_id, period.key):
                    continue
                placed = self._boards.top(
                    board.board_id, period.key, board.shards, board.prize_depth
                )
                details = [
                    LeaderboardPrize(
                        player_id=p.entry.player_id,
                        event_id=prize_event_id(board.board_id, period.key, p.entry.player_id),
                        occurred_at=period.end,
                        board_id=board.board_id,
                        period=period.key,
                        rank=p.rank,
                        score=p.entry.score,
                    ).model_dump(mode="json")
                    for p in placed
                    if board.prize_for(p.rank) is not None
                ]
                self._publisher.publish_all(LeaderboardPrize.detail_type, details)
                self._boards.mark_settled(
                    board.board_id, period.key, now, f"{len(details)} prizes published"
                )
                outcome.settled.append(f"{board.board_id}#{period.key}")
                outcome.prizes += len(details)
        return outcome
