"""The shop in a decision: interest and purchases folded, catalog news checked against them."""

from __future__ import annotations

from events.models import ProductNews
from shared.domain.commerce.shop import active_interest, fold_shop
from shared.domain.run.run_base import RunBase


class ShopMixin(RunBase):
    """Keeps the player's shop history and the product interest index in step."""

    def track_shop(self) -> None:
        history, changes = fold_shop(self.state.shop, self.event, self.config.shop.interest_days)
        if history is not self.state.shop:  # unchanged for all but shop events
            self.state.shop = history
        if changes:
            self.decision.interests += changes

    def news_still_wanted(self) -> bool:
        """A fanned-out price drop or restock, checked against the player's interest now.

        The index item may be older than the state (the player bought the product, or
        removed it from the wishlist, after the fan-out read the index; TTL deletes lazily),
        so the state decides: no current interest, no rule runs.
        """
        event = self.event
        if not isinstance(event, ProductNews):
            return True
        interest = active_interest(
            self.state.shop, event.product.sku, event.occurred_at, self.config.shop.interest_days
        )
        if interest is None:
            self.trace(None, f"{event.detail_type} {event.product.sku}: no current interest")
            return False
        return True
