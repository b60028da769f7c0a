"""Catalog fan-out: a price drop or a restock reaches the players interested in the product.

No scan of all players. The product's interest index partition (PRODUCT#<sku>, one item per
interested player, bounded per player and expiring) is read one page at a time; each
interested player gets one per-player event (`engage.shop.price_dropped` /
`engage.shop.back_in_stock`) on the bus, ten per PutEvents call, which the engine then
decides like any other player event. A product with more interested players than a page
continues in the next engine invocation through an `engage.shop.fanout_continued` event
carrying where the page stopped, so one invocation's work is bounded by the page size.

Idempotent: a per-player event's id is derived from (catalog event, player), so a
redelivered catalog event, a retried page or a duplicated continuation publishes events the
engine's EVENT# markers already know; and a fully published page is marked
(PRODUCT#<sku> / FANOUT#<event>#<page>, expiring) so a redelivery skips it without
republishing. Costs: docs/ecommerce.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from events.models import (
    CATALOG_NEWS,
    CatalogDetail,
    CatalogFanoutContinued,
    ProductPriceDropped,
    ShopBackInStock,
    ShopPriceDropped,
)
from shared.adapters.product_index import InterestPage
from shared.clock import Clock
from shared.domain.core.state import stable_id

# How long a published page is remembered: longer than SQS keeps redelivering a message.
PAGE_MEMORY = timedelta(days=4)


class InterestIndexPort(Protocol):
    def page(self, sku: str, now: Any, limit: int, after: str | None = None) -> InterestPage: ...
    def page_done(self, sku: str, catalog_event_id: str, page: int) -> bool: ...
    def mark_page_done(self, sku: str, catalog_event_id: str, page: int, expires: Any) -> None: ...


class BatchPublisherPort(Protocol):
    def publish_many(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> int: ...


@dataclass(frozen=True)
class FanoutPage:
    catalog_event_id: str
    sku: str
    page: int
    published: int
    continued: bool
    skipped: bool = False


def news_event_id(catalog_event_id: str, player_id: str) -> str:
    """The per-player event's id: the same catalog event always yields the same id."""
    return f"shop.{stable_id(catalog_event_id, player_id)}"


class CatalogFanout:
    def __init__(
        self, index: InterestIndexPort, publisher: BatchPublisherPort, clock: Clock
    ) -> None:
        self._index = index
        self._publisher = publisher
        self._clock = clock

    def handle(self, event: CatalogDetail | CatalogFanoutContinued, page_size: int) -> FanoutPage:
        """Fan out one page of a catalog event (page 1, or the page a continuation names)."""
        if isinstance(event, CatalogFanoutContinued):
            catalog: ShopPriceDropped | ShopBackInStock | CatalogDetail = event.catalog
            page_no, after = event.page, event.after
        else:
            catalog, page_no, after = event, 1, None
        sku = catalog.product.sku
        if self._index.page_done(sku, catalog.event_id, page_no):
            return FanoutPage(catalog.event_id, sku, page_no, 0, False, skipped=True)
        page = self._index.page(sku, self._clock.now(), page_size, after)
        news_model = CATALOG_NEWS[catalog.detail_type]
        entries: list[tuple[str, Mapping[str, Any]]] = []
        for player in page.players:
            fields: dict[str, Any] = {
                "player_id": player.player_id,
                "event_id": news_event_id(catalog.event_id, player.player_id),
                "occurred_at": catalog.occurred_at,
                "product": catalog.product,
                "interest": list(player.kinds) or ["viewed"],
                "catalog_event_id": catalog.event_id,
            }
            if isinstance(catalog, ShopPriceDropped):
                fields["previous_price"] = catalog.previous_price
            news = news_model.model_validate(fields)
            exclude = set(ProductPriceDropped.model_computed_fields)
            entries.append((news.detail_type, news.model_dump(mode="json", exclude=exclude)))
        if page.after is not None:
            continuation = CatalogFanoutContinued(
                event_id=f"fanout.{stable_id(catalog.event_id, str(page_no + 1))}",
                occurred_at=catalog.occurred_at,
                catalog_type=catalog.detail_type,
                catalog=catalog,
                after=page.after,
                page=page_no + 1,
            )
            entries.append((continuation.detail_type, continuation.model_dump(mode="json")))
        self._publisher.publish_many(entries)
        self._index.mark_page_done(sku, catalog.event_id, page_no, self._clock.now() + PAGE_MEMORY)
        return FanoutPage(catalog.event_id, sku, page_no, len(page.players), page.after is not None)
