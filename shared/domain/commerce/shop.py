"""A player's shop history: interest in products, purchases per product, restock prediction.

Pure. Interest (viewed, carted, wishlisted) is kept per product in the player's state and,
mirrored, as one index item per (product, player) so catalog news can reach the interested
players without a scan (docs/ecommerce.md). Both are bounded: at most `MAX_INTERESTS`
products per player (the most recent), each forgotten `interest_days` after the latest sign
of interest; buying a product ends the interest in it.

Restock: a product bought at least twice has a repurchase interval, the median of the gaps
between its purchases (gaps under a day are one shopping session, not a repurchase). The
predicted restock is the latest purchase plus that interval. The median, not the mean, so
one holiday gap does not move the prediction much.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.models import (
    EventDetail,
    InterestKind,
    LineItem,
    Product,
    ShopCartAbandoned,
    ShopProductViewed,
    ShopPurchase,
    ShopWishlistChanged,
)

MAX_INTERESTS = 50
"""Products whose interest a player keeps (the most recent): the fan-out bound per player."""
MAX_PURCHASE_TIMES = 6
"""Purchase times kept per product: enough for a median of 5 intervals."""
MAX_BOUGHT_PRODUCTS = 40
"""Products whose purchases a player keeps (the most recently bought). The state item is
paid for on every write of the player (2 WRU per started KB in a transaction), so the shop
history is kept small: an interest is ~60 bytes (no product copy: the catalog event
carries the product), a bought product ~450 (its snapshot, for restock reminders)."""
MAX_CART_LINES = 20
"""Cart lines kept for templates (a loop shows at most 20 anyway)."""
MIN_REPURCHASE_GAP = timedelta(days=1)


class Interest(BaseModel):
    """Why and since when a player is interested in one product."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[InterestKind]
    last_at: datetime

    def expires_at(self, interest_days: int) -> datetime:
        return self.last_at + timedelta(days=interest_days)


class Bought(BaseModel):
    """A product the player bought: its latest snapshot and the purchase times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: Product
    times: list[datetime] = Field(description="Purchase times, oldest first (bounded).")


class ShopHistory(BaseModel):
    """What the player's shop events left behind (player state `shop`)."""

    model_config = ConfigDict(extra="forbid")

    interests: dict[str, Interest] = Field(default_factory=dict)
    bought: dict[str, Bought] = Field(default_factory=dict)
    # The lines of the latest abandoned cart, until a later purchase: a reminder sent by a
    # timer hours later still lists them.
    cart: list[LineItem] = Field(default_factory=list)
    cart_at: datetime | None = None


@dataclass(frozen=True)
class InterestChange:
    """A write to the product interest index: put (with its expiry) or delete."""

    sku: str
    player_id: str
    action: Literal["put", "delete"]
    kinds: tuple[str, ...] = ()
    last_at: datetime | None = None
    expires_at: datetime | None = None


def _sorted_kinds(kinds: set[InterestKind]) -> list[InterestKind]:
    order: tuple[InterestKind, ...] = ("viewed", "carted", "wishlisted")
    return [k for k in order if k in kinds]


_SHOP_EVENTS = (ShopProductViewed, ShopWishlistChanged, ShopCartAbandoned, ShopPurchase)


def fold_shop(
    history: ShopHistory, event: EventDetail, interest_days: int
) -> tuple[ShopHistory, list[InterestChange]]:
    """The history after `event`, and the index writes that mirror its interest changes."""
    if not isinstance(event, _SHOP_EVENTS):
        return history, []  # most events (logins, rounds): nothing to copy or fold
    interests = dict(history.interests)
    bought = dict(history.bought)
    cart, cart_at = list(history.cart), history.cart_at
    touched: set[str] = set()
    at = event.occurred_at
    match event:
        case ShopProductViewed():
            _note(interests, event.product.sku, "viewed", at, touched)
        case ShopWishlistChanged() if event.added:
            _note(interests, event.product.sku, "wishlisted", at, touched)
        case ShopWishlistChanged():
            current = interests.get(event.product.sku)
            if current is not None and at >= current.last_at:
                kinds = set(current.kinds) - {"wishlisted"}
                touched.add(event.product.sku)
                if kinds:
                    interests[event.product.sku] = current.model_copy(
                        update={"kinds": _sorted_kinds(kinds)}
                    )
                else:
                    del interests[event.product.sku]
        case ShopCartAbandoned():
            for line in event.products:
                _note(interests, line.sku, "carted", at, touched)
            if event.products and (cart_at is None or at >= cart_at):
                cart, cart_at = list(event.products[:MAX_CART_LINES]), at
        case ShopPurchase():
            if cart_at is not None and at >= cart_at:
                cart, cart_at = [], None
            for line in event.products:
                product = _product(line)
                previous = bought.get(product.sku)
                times = sorted({*(previous.times if previous else []), at})[-MAX_PURCHASE_TIMES:]
                newest = previous is None or at >= max(previous.times)
                bought[product.sku] = Bought(
                    product=product if newest or previous is None else previous.product,
                    times=times,
                )
                # Bought it: no "price dropped" for what the player now owns. Interest shown
                # after this purchase (a late event said otherwise) is kept.
                current = interests.get(product.sku)
                if current is not None and current.last_at <= at:
                    del interests[product.sku]
                    touched.add(product.sku)
            if len(bought) > MAX_BOUGHT_PRODUCTS:
                keep = sorted(bought, key=lambda s: (max(bought[s].times), s))[
                    -MAX_BOUGHT_PRODUCTS:
                ]
                bought = {s: bought[s] for s in keep}
        case _:
            return history, []
    if len(interests) > MAX_INTERESTS:
        newest_first = sorted(interests, key=lambda s: (interests[s].last_at, s), reverse=True)
        for sku in newest_first[MAX_INTERESTS:]:
            del interests[sku]
            touched.add(sku)
    changes = []
    for sku in sorted(touched):
        interest = interests.get(sku)
        if interest is None:
            changes.append(InterestChange(sku, event.player_id, "delete"))
        else:
            changes.append(
                InterestChange(
                    sku,
                    event.player_id,
                    "put",
                    tuple(interest.kinds),
                    interest.last_at,
                    interest.expires_at(interest_days),
                )
            )
    return ShopHistory(interests=interests, bought=bought, cart=cart, cart_at=cart_at), changes


def _product(line: Product) -> Product:
    # A line item carries a quantity; the interest and the purchase keep the product only.
    return Product.model_validate(line.model_dump(exclude={"quantity"}))


def _note(
    interests: dict[str, Interest],
    sku: str,
    kind: InterestKind,
    at: datetime,
    touched: set[str],
) -> None:
    current = interests.get(sku)
    if current is None:
        interests[sku] = Interest(kinds=[kind], last_at=at)
    else:
        interests[sku] = Interest(
            kinds=_sorted_kinds({*current.kinds, kind}), last_at=max(at, current.last_at)
        )
    touched.add(sku)


def active_interest(
    history: ShopHistory, sku: str, at: datetime, interest_days: int
) -> Interest | None:
    """The player's interest in `sku` at `at`, unless there is none or it has expired."""
    interest = history.interests.get(sku)
    if interest is None or interest.expires_at(interest_days) <= at:
        return None
    return interest


def repurchase_interval(times: list[datetime]) -> timedelta | None:
    """Median gap between purchases a day or more apart; None with fewer than two."""
    ordered = sorted(times)
    gaps = [b - a for a, b in pairwise(ordered) if b - a >= MIN_REPURCHASE_GAP]
    if not gaps:
        return None
    seconds = median(g.total_seconds() for g in gaps)
    return timedelta(seconds=round(seconds))


def predicted_restock(history: ShopHistory, sku: str) -> datetime | None:
    """When the player will likely buy `sku` again: last purchase + their usual interval."""
    bought = history.bought.get(sku)
    if bought is None:
        return None
    interval = repurchase_interval(bought.times)
    return None if interval is None else max(bought.times) + interval


def restock_predictions(history: ShopHistory) -> dict[str, datetime]:
    """Every product with a predicted restock, sku -> when."""
    found = {}
    for sku in history.bought:
        when = predicted_restock(history, sku)
        if when is not None:
            found[sku] = when
    return found


def restock_due(history: ShopHistory, at: datetime) -> list[str]:
    """Products whose predicted restock has come by `at` (not bought again since)."""
    return sorted(sku for sku, when in restock_predictions(history).items() if when <= at)
