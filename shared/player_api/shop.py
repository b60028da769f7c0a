"""What the player API reads for the shop: recommendations and restock predictions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.models import Product
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.domain.commerce.recommendations import recommend
from shared.domain.commerce.shop import restock_predictions
from shared.services.config_cache import ConfigCache


@dataclass(frozen=True)
class Restock:
    product: Product
    predicted_at: datetime
    due: bool


class PlayerShop:
    """Recommendations and restock predictions from the player's state and the published
    popularity table (config `policy/shop`), as of the injected clock."""

    def __init__(self, players: PlayerStore, config: ConfigCache, clock: Clock) -> None:
        self._players = players
        self._config = config
        self._clock = clock

    def recommendations(self, player_id: str, limit: int) -> list[Product] | None:
        """Best first; None for a player the engine never saw."""
        state = self._players.state(player_id)
        if state is None:
            return None
        return recommend(state.shop, self._config.current().shop, self._clock.now(), limit)

    def restock(self, player_id: str) -> list[Restock] | None:
        """Predicted next purchases, soonest first; None for an unknown player."""
        state = self._players.state(player_id)
        if state is None:
            return None
        now = self._clock.now()
        found = restock_predictions(state.shop)
        return [
            Restock(state.shop.bought[sku].product, when, when <= now)
            for sku, when in sorted(found.items(), key=lambda kv: (kv[1], kv[0]))
        ]
