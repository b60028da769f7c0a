"""What the player API calls: reads and the read flag on the player table, on a clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.domain.core.state import InboxMessage
from shared.player_api.cursors import decode_cursor, encode_cursor
from shared.services.game_commands import GameCommands

if TYPE_CHECKING:
    from shared.player_api.leaderboards import PlayerLeaderboards
    from shared.player_api.missions import PlayerMissions
    from shared.player_api.points import PlayerPoints
    from shared.player_api.shop import PlayerShop


@dataclass(frozen=True)
class Summary:
    known: bool
    points_balance: int
    lifecycle_stage: str | None
    segments: list[str]
    unread_count: int


class PlayerInbox:
    """The player's inbox and summary as of the injected clock (virtual time locally)."""

    def __init__(self, players: PlayerStore, clock: Clock) -> None:
        self._players = players
        self._clock = clock

    def page(
        self, player_id: str, *, limit: int, unread_only: bool, cursor: str | None
    ) -> tuple[list[InboxMessage], str | None]:
        after = decode_cursor(cursor) if cursor else None
        messages, last = self._players.inbox_page(
            player_id, now=self._clock.now(), limit=limit, unread_only=unread_only, after=after
        )
        return messages, encode_cursor(last) if last else None

    def mark_read(self, player_id: str, message_id: str) -> bool:
        return self._players.mark_inbox_read(player_id, message_id, now=self._clock.now())

    def summary(self, player_id: str) -> Summary:
        state = self._players.state(player_id)
        unread = self._players.unread_count(player_id, self._clock.now())
        if state is None:
            return Summary(False, 0, None, [], unread)
        return Summary(
            known=True,
            points_balance=state.points_balance,
            lifecycle_stage=state.engagement.stage,
            segments=sorted(state.segments),
            unread_count=unread,
        )


@dataclass
class PlayerApiServices:
    inbox: PlayerInbox
    points: PlayerPoints
    missions: PlayerMissions
    games: GameCommands
    leaderboards: PlayerLeaderboards
    shop: PlayerShop
