"""Catalog fan-out with fakes: bounded pages, stable ids, continuation, redelivery skipped."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from events.models import (
    CatalogFanoutContinued,
    ProductBackInStock,
    ProductPriceDropped,
    ShopBackInStock,
    ShopPriceDropped,
    parse_event,
)
from shared.adapters.product_index import Interested, InterestPage
from shared.adapters.publisher import PublishError
from shared.clock import FixedClock
from shared.services.catalog_fanout import CatalogFanout, news_event_id

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
PRODUCT = {"sku": "grinder", "name": "Grinder", "price": Decimal("69"), "currency": "EUR"}


class FakeIndex:
    def __init__(self, players):
        self.players = sorted(players)
        self.done: set[tuple[str, str, int]] = set()
        self.reads: list[tuple[str | None, int]] = []

    def page(self, sku, now, limit, after=None):
        self.reads.append((after, limit))
        rest = [p for p in self.players if after is None or p > after]
        chosen = rest[:limit]
        more = len(rest) > limit
        return InterestPage(
            [Interested(p, ("viewed",)) for p in chosen], chosen[-1] if more else None
        )

    def page_done(self, sku, catalog_event_id, page):
        return (sku, catalog_event_id, page) in self.done

    def mark_page_done(self, sku, catalog_event_id, page, expires):
        self.done.add((sku, catalog_event_id, page))


class FakeBus:
    def __init__(self, fail=False):
        self.sent: list[tuple[str, dict]] = []
        self.fail = fail

    def publish_many(self, events):
        if self.fail:
            raise PublishError("1 of 10 failed: ['ThrottlingException']")
        self.sent += list(events)
        return len(events)


def drop():
    return ShopPriceDropped(
        event_id="drop-1", occurred_at=NOW, product=PRODUCT, previous_price=Decimal("89")
    )


def test_one_page_publishes_one_event_per_interested_player_and_a_continuation():
    index, bus = FakeIndex([f"p-{i}" for i in range(25)]), FakeBus()
    page = CatalogFanout(index, bus, FixedClock(NOW)).handle(drop(), page_size=10)
    assert (page.published, page.continued) == (10, True)
    types = [t for t, _ in bus.sent]
    assert types == ["engage.shop.price_dropped"] * 10 + ["engage.shop.fanout_continued"]
    first = ProductPriceDropped.model_validate(bus.sent[0][1])
    assert first.event_id == news_event_id("drop-1", "p-0")
    assert first.drop_percent == Decimal("22.47")
    continuation = CatalogFanoutContinued.model_validate(bus.sent[-1][1])
    assert (continuation.after, continuation.page) == ("p-17", 2)


def test_following_the_continuations_reaches_every_player_once_in_bounded_pages():
    players = [f"p-{i:02d}" for i in range(25)]
    index, bus = FakeIndex(players), FakeBus()
    fanout = CatalogFanout(index, bus, FixedClock(NOW))
    fanout.handle(drop(), page_size=10)
    while bus.sent[-1][0] == "engage.shop.fanout_continued":
        nxt = CatalogFanoutContinued.model_validate(bus.sent[-1][1])
        fanout.handle(nxt, page_size=10)
    reached = [d["player_id"] for t, d in bus.sent if t == "engage.shop.price_dropped"]
    assert reached == players
    assert [limit for _, limit in index.reads] == [10, 10, 10]


def test_a_redelivered_catalog_event_whose_page_was_published_publishes_nothing():
    index, bus = FakeIndex(["p-1", "p-2"]), FakeBus()
    fanout = CatalogFanout(index, bus, FixedClock(NOW))
    fanout.handle(drop(), page_size=10)
    again = fanout.handle(drop(), page_size=10)
    assert again.skipped
    assert len(bus.sent) == 2


def test_a_failed_publish_leaves_the_page_unmarked_so_the_retry_publishes_it():
    index = FakeIndex(["p-1"])
    with pytest.raises(PublishError):
        CatalogFanout(index, FakeBus(fail=True), FixedClock(NOW)).handle(drop(), page_size=10)
    assert index.done == set()
    bus = FakeBus()
    CatalogFanout(index, bus, FixedClock(NOW)).handle(drop(), page_size=10)
    assert [d["player_id"] for _, d in bus.sent] == ["p-1"]


def test_a_back_in_stock_fans_out_as_its_own_per_player_event():
    bus = FakeBus()
    restock = ShopBackInStock(event_id="s-1", occurred_at=NOW, product=PRODUCT, stock=3)
    CatalogFanout(FakeIndex(["p-1"]), bus, FixedClock(NOW)).handle(restock, page_size=10)
    ((detail_type, detail),) = bus.sent
    assert detail_type == "engage.shop.back_in_stock"
    assert ProductBackInStock.model_validate(detail).interest == ["viewed"]


def test_a_fanned_out_event_is_refused_from_an_operator_source():
    bus = FakeBus()
    CatalogFanout(FakeIndex(["p-1"]), bus, FixedClock(NOW)).handle(drop(), page_size=10)
    detail_type, detail = bus.sent[0]
    from events.models import ContractError

    with pytest.raises(ContractError, match=r"may only come from engage\.engine"):
        parse_event({"source": "shop.example", "detail-type": detail_type, "detail": detail})
    assert parse_event({"source": "engage.engine", "detail-type": detail_type, "detail": detail})


def test_a_rule_on_a_catalog_event_is_refused_with_the_fanout_to_listen_to():
    from pydantic import ValidationError

    from shared.domain.core.config import parse_rule

    with pytest.raises(ValidationError, match=r"engage\.shop\.price_dropped"):
        parse_rule(
            {
                "rule_id": "r",
                "on": ["shop.price_dropped"],
                "then": [{"award_points": {"points": 1}}],
            }
        )
