"""What the player API reads about points, tiers and badges, on the injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.adapters.player_store import LEDGER_PREFIX, PlayerStore
from shared.clock import Clock
from shared.domain.core.state import LedgerEntry, PlayerState
from shared.domain.game.badges import Badge
from shared.domain.game.tiers import TierProgress, progress
from shared.player_api.cursors import decode_cursor, encode_cursor
from shared.player_api.params import UnknownPlayer
from shared.services.config_cache import ConfigCache


@dataclass(frozen=True)
class Balance:
    known: bool
    balance: int
    owed: int
    next_expiry: datetime | None
    expiring_points: int


@dataclass(frozen=True)
class HeldBadge:
    badge: Badge | None
    badge_id: str
    granted_at: datetime


class PlayerPoints:
    def __init__(self, players: PlayerStore, config: ConfigCache, clock: Clock) -> None:
        self._players = players
        self._config = config
        self._clock = clock

    def _state(self, player_id: str) -> PlayerState | None:
        return self._players.state(player_id)

    def balance(self, player_id: str) -> Balance:
        state = self._state(player_id)
        if state is None:
            return Balance(False, 0, 0, None, 0)
        wallet = state.wallet
        first = wallet.next_expiry()
        expiring = sum(lot.remaining for lot in wallet.lots if first and lot.expires_at == first)
        return Balance(True, state.points_balance, wallet.owed, first, expiring)

    def ledger(
        self, player_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        after = decode_cursor(cursor, LEDGER_PREFIX) if cursor else None
        lines, last = self._players.ledger_page(player_id, limit=limit, after=after)
        return lines, encode_cursor(last) if last else None

    def tier(self, player_id: str) -> TierProgress | None:
        """None when no tier program is published."""
        program = self._config.current().game.tiers
        if program is None:
            return None
        state = self._state(player_id)
        if state is None:
            raise UnknownPlayer(player_id)
        return progress(program, state.tier, self._clock.now())

    def badges(self, player_id: str) -> list[HeldBadge]:
        """Held badges, oldest first, with their catalogue entry (None if since removed)."""
        state = self._state(player_id)
        if state is None:
            return []
        catalogue = self._config.current().game.badges
        return [
            HeldBadge(catalogue.get(badge_id), badge_id, granted_at)
            for badge_id, granted_at in sorted(state.badges.items(), key=lambda kv: kv[1])
        ]
