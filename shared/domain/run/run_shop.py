"""The shop in a decision: interest and purchases folded, catalog news checked against them.

Keeps the player's shop history and the product interest index in step.
"""

from __future__ import annotations

from events.models import ProductNews
from shared.domain.commerce.shop import active_interest, fold_shop
from shared.domain.run.context import DecisionContext


def track_shop(ctx: DecisionContext) -> None:
    history, changes = fold_shop(ctx.state.shop, ctx.event, ctx.config.shop.interest_days)
    if history is not ctx.state.shop:  # unchanged for all but shop events
        ctx.state.shop = history
    if changes:
        ctx.decision.interests += changes


def news_still_wanted(ctx: DecisionContext) -> bool:
    """A fanned-out price drop or restock, checked against the player's interest now.

    The index item may be older than the state (the player bought the product, or
    removed it from the wishlist, after the fan-out read the index; TTL deletes lazily),
    so the state decides: no current interest, no rule runs.
    """
    event = ctx.event
    if not isinstance(event, ProductNews):
        return True
    interest = active_interest(
        ctx.state.shop, event.product.sku, event.occurred_at, ctx.config.shop.interest_days
    )
    if interest is None:
        ctx.trace(None, f"{event.detail_type} {event.product.sku}: no current interest")
        return False
    return True
