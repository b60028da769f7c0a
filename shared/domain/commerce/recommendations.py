"""Product recommendations per player: their own history and co-purchase popularity (pure).

No ML service. The shop-wide part is a `Popularity` table built from orders (the lake's
`shop.purchase` events, `engage shop-popularity`): how many orders hold each product, and
for each product the products most often bought in the same order. It is published as the
config item `policy/shop`, so a recommendation reads nothing per event.

The algorithm (docs/ecommerce.md):

1. Seeds: the products the player bought (weight 3), carted (2), wishlisted (2) or viewed (1),
   each weight halved for every `half_life_days` since that sign (so last week's browsing
   counts more than last year's order).
2. Candidates: for each seed s and each product x bought with it,
   score(x) += weight(s) * together(s, x) / orders_with(s), the share of s's orders that
   also held x (an estimate of P(x | s)).
3. Left out: the products the player bought or carted (they know them; a due restock is a
   separate reminder, see shop.py).
4. Ranked by score, then by popularity, then by sku (a stable order); filled up with the
   shop's best sellers when the history gives too few (a new player sees the best sellers).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from events.models import Product
from shared.domain.commerce.shop import ShopHistory

TOP_TOGETHER = 10
"""Co-purchased products kept per product (the most frequent)."""
MAX_CATALOG = 300
"""Products a popularity table keeps (the best sellers). It is one config item, and a
DynamoDB item holds at most 400 KB: 300 products with 10 partners each stay well under."""
_WEIGHTS: dict[str, Decimal] = {
    "bought": Decimal(3),
    "carted": Decimal(2),
    "wishlisted": Decimal(2),
    "viewed": Decimal(1),
}


class Popularity(BaseModel):
    """Shop-wide co-purchase counts, refreshed from the orders (config `policy/shop`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    computed_at: datetime | None = None
    orders: int = Field(default=0, ge=0)
    products: dict[str, Product] = Field(default_factory=dict)
    # sku -> orders that held it.
    bought: dict[str, int] = Field(default_factory=dict)
    # sku -> {other sku: orders holding both}, the TOP_TOGETHER most frequent.
    together: dict[str, dict[str, int]] = Field(default_factory=dict)

    def best_sellers(self) -> list[str]:
        return sorted(self.bought, key=lambda s: (-self.bought[s], s))


class ShopPolicy(BaseModel):
    """Config item `policy/shop`: interest lifetime, recommendation size, popularity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interest_days: int = Field(default=30, ge=1, le=365)
    recommendations: int = Field(default=4, ge=1, le=20)
    half_life_days: int = Field(default=30, ge=1, le=730)
    # Players a catalog event reaches per fan-out page. A page is ~P/10 PutEvents calls
    # inside the engine's 30 s invocation, which may hold up to 10 catalog records.
    fanout_page: int = Field(default=200, ge=10, le=2_000)
    popularity: Popularity = Field(default_factory=Popularity)


def build_popularity(
    orders: Iterable[Sequence[Product]], computed_at: datetime | None = None
) -> Popularity:
    """Count orders per product and pairs bought together; keep the latest product details."""
    bought: Counter[str] = Counter()
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    products: dict[str, Product] = {}
    count = 0
    for order in orders:
        skus = sorted({p.sku for p in order})
        if not skus:
            continue
        count += 1
        for product in order:
            products[product.sku] = Product.model_validate(product.model_dump(exclude={"quantity"}))
        bought.update(skus)
        for a, b in combinations(skus, 2):
            pairs[a][b] += 1
            pairs[b][a] += 1
    kept = sorted(bought, key=lambda s: (-bought[s], s))[:MAX_CATALOG]
    keep = set(kept)
    together = {
        sku: dict(
            sorted(
                ((o, n) for o, n in pairs[sku].items() if o in keep),
                key=lambda kv: (-kv[1], kv[0]),
            )[:TOP_TOGETHER]
        )
        for sku in kept
        if pairs.get(sku)
    }
    return Popularity(
        computed_at=computed_at,
        orders=count,
        products={s: products[s] for s in kept},
        bought={s: bought[s] for s in kept},
        together=together,
    )


def _decay(weight: Decimal, since: datetime, at: datetime, half_life_days: int) -> Decimal:
    days = max(0.0, (at - since).total_seconds() / 86_400)
    return Decimal(weight) * Decimal(str(round(0.5 ** (days / half_life_days), 6)))


def seeds(history: ShopHistory, at: datetime, half_life_days: int) -> dict[str, Decimal]:
    """The player's own products and how much each says about them now."""
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for sku, bought in history.bought.items():
        weights[sku] += _decay(_WEIGHTS["bought"], max(bought.times), at, half_life_days)
    for sku, interest in history.interests.items():
        strongest = max(_WEIGHTS[k] for k in interest.kinds)
        weights[sku] += _decay(strongest, interest.last_at, at, half_life_days)
    return dict(weights)


def recommend(
    history: ShopHistory, policy: ShopPolicy, at: datetime, limit: int | None = None
) -> list[Product]:
    """Up to `limit` products for this player, best first (see the module docstring)."""
    popularity = policy.popularity
    wanted = limit if limit is not None else policy.recommendations
    own = seeds(history, at, policy.half_life_days)
    known = set(history.bought) | {
        sku for sku, i in history.interests.items() if "carted" in i.kinds
    }
    scores: dict[str, Decimal] = defaultdict(Decimal)
    for sku, weight in own.items():
        orders_with = popularity.bought.get(sku, 0)
        if not orders_with:
            continue
        for other, both in popularity.together.get(sku, {}).items():
            scores[other] += weight * Decimal(both) / Decimal(orders_with)
    ranked = sorted(
        (s for s in scores if s not in known and s in popularity.products),
        key=lambda s: (-scores[s], -popularity.bought.get(s, 0), s),
    )
    chosen = ranked[:wanted]
    for sku in popularity.best_sellers():
        if len(chosen) >= wanted:
            break
        if sku not in known and sku not in chosen:
            chosen.append(sku)
    return [popularity.products[s] for s in chosen]
