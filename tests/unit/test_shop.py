"""The shop's pure core: interest and its index writes, restock intervals, recommendations,
audience hashing and eligibility."""

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import (
    LineItem,
    Product,
    ShopCartAbandoned,
    ShopProductViewed,
    ShopPurchase,
    ShopWishlistChanged,
)
from shared.domain.commerce.recommendations import ShopPolicy, build_popularity, recommend
from shared.domain.commerce.shop import (
    MAX_INTERESTS,
    ShopHistory,
    fold_shop,
    predicted_restock,
    repurchase_interval,
    restock_due,
)
from shared.domain.core.state import PlayerState
from shared.domain.measurement.experiments import ExperimentSettings
from shared.domain.outputs.audience import (
    audience_row,
    build_audience,
    normalize_email,
    normalize_phone,
    render_audience,
)
from shared.domain.players.rg import Exclusion, RgStatus

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def product(sku, price="10.00"):
    return Product(sku=sku, name=sku.title(), price=Decimal(price), currency="EUR")


def line(sku, quantity=1):
    return LineItem(**product(sku).model_dump(), quantity=quantity)


def base(n, at):
    return {"player_id": "p-1", "event_id": f"e-{n}", "occurred_at": at}


def fold(history, *events):
    changes = []
    for event in events:
        history, step = fold_shop(history, event, interest_days=30)
        changes += step
    return history, changes


def test_viewing_then_wishlisting_records_both_kinds_and_one_expiring_index_write_each():
    history, changes = fold(
        ShopHistory(),
        ShopProductViewed(**base(1, T0), product=product("a")),
        ShopWishlistChanged(**base(2, T0 + timedelta(hours=1)), product=product("a")),
    )
    assert history.interests["a"].kinds == ["viewed", "wishlisted"]
    last = changes[-1]
    assert (last.sku, last.action, last.kinds) == ("a", "put", ("viewed", "wishlisted"))
    assert last.expires_at == T0 + timedelta(hours=1, days=30)


def test_unwishlisting_the_only_interest_deletes_it_and_its_index_item():
    history, changes = fold(
        ShopHistory(),
        ShopWishlistChanged(**base(1, T0), product=product("a")),
        ShopWishlistChanged(
            **base(2, T0 + timedelta(minutes=1)), product=product("a"), added=False
        ),
    )
    assert history.interests == {}
    assert changes[-1].action == "delete"


def test_buying_a_product_ends_the_interest_but_a_late_purchase_from_before_it_does_not():
    viewed = ShopProductViewed(**base(1, T0), product=product("a"))
    order = {"order_id": "o", "amount": Decimal(10), "currency": "EUR", "items": 1}
    bought_after = ShopPurchase(**base(2, T0 + timedelta(hours=1)), **order, products=[line("a")])
    bought_before = ShopPurchase(**base(3, T0 - timedelta(hours=1)), **order, products=[line("a")])
    assert fold(ShopHistory(), viewed, bought_after)[0].interests == {}
    assert "a" in fold(ShopHistory(), viewed, bought_before)[0].interests


def test_a_cart_remembers_its_lines_until_a_later_purchase():
    cart = ShopCartAbandoned(
        **base(1, T0),
        cart_id="c",
        amount=Decimal(30),
        currency="EUR",
        items=3,
        products=[line("a", 2), line("b")],
    )
    history, _ = fold(ShopHistory(), cart)
    assert [(x.sku, x.quantity) for x in history.cart] == [("a", 2), ("b", 1)]
    assert history.interests["a"].kinds == ["carted"]
    paid = ShopPurchase(
        **base(2, T0 + timedelta(hours=2)),
        order_id="o",
        amount=Decimal(30),
        currency="EUR",
        items=3,
    )
    assert fold(history, paid)[0].cart == []


def test_a_player_keeps_at_most_the_most_recent_interests_and_the_index_forgets_the_rest():
    events = [
        ShopProductViewed(**base(i, T0 + timedelta(minutes=i)), product=product(f"s{i:03d}"))
        for i in range(MAX_INTERESTS + 3)
    ]
    history, changes = fold(ShopHistory(), *events)
    assert len(history.interests) == MAX_INTERESTS
    assert "s000" not in history.interests
    assert f"s{MAX_INTERESTS + 2:03d}" in history.interests
    deleted = {c.sku for c in changes if c.action == "delete"}
    assert deleted == {"s000", "s001", "s002"}


def test_the_repurchase_interval_is_the_median_gap_and_same_day_repeats_do_not_count():
    days = [0, 14, 28, 38]
    times = [T0 + timedelta(days=d) for d in days] + [T0 + timedelta(days=38, hours=2)]
    assert repurchase_interval(times) == timedelta(days=14)
    assert repurchase_interval([T0]) is None
    assert repurchase_interval([T0, T0 + timedelta(hours=3)]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=2, max_size=8, unique=True))
def test_a_predicted_restock_always_lies_after_the_last_purchase(days):
    order = {"order_id": "o", "amount": Decimal(10), "currency": "EUR", "items": 1}
    events = [
        ShopPurchase(**base(i, T0 + timedelta(days=d)), **order, products=[line("a")])
        for i, d in enumerate(days)
    ]
    history, _ = fold(ShopHistory(), *events)
    predicted = predicted_restock(history, "a")
    assert predicted is not None
    last = T0 + timedelta(days=max(days))
    assert predicted >= last + timedelta(days=1)
    assert restock_due(history, predicted) == ["a"]
    assert restock_due(history, predicted - timedelta(seconds=1)) == []


def _popular():
    orders = [["beans", "mug"], ["beans", "grinder"], ["beans", "mug"], ["mug"], ["tea"]]
    return build_popularity([[line(s) for s in o] for o in orders])


def test_co_purchase_popularity_counts_orders_and_pairs():
    popularity = _popular()
    assert popularity.orders == 5
    assert popularity.bought == {"beans": 3, "mug": 3, "grinder": 1, "tea": 1}
    assert popularity.together["beans"] == {"mug": 2, "grinder": 1}


def test_recommendations_rank_by_share_of_co_purchases_then_fill_with_best_sellers():
    order = {"order_id": "o", "amount": Decimal(10), "currency": "EUR", "items": 1}
    history, _ = fold(ShopHistory(), ShopPurchase(**base(1, T0), **order, products=[line("beans")]))
    policy = ShopPolicy(popularity=_popular())
    picks = recommend(history, policy, T0 + timedelta(days=1), limit=3)
    # mug 2/3 of beans' orders, grinder 1/3; then the best seller not yet shown (tea).
    assert [p.sku for p in picks] == ["mug", "grinder", "tea"]


def test_a_new_player_is_recommended_the_best_sellers():
    picks = recommend(ShopHistory(), ShopPolicy(popularity=_popular()), T0, limit=2)
    assert [p.sku for p in picks] == ["beans", "mug"]


@pytest.mark.parametrize(
    ("email", "platform", "normalized"),
    [
        ("  First.Last@GMail.com ", "google", "firstlast@gmail.com"),
        ("First.Last@googlemail.com", "csv", "firstlast@googlemail.com"),
        ("First.Last@GMail.com", "meta", "first.last@gmail.com"),
        ("Some.One@Example.ORG", "google", "some.one@example.org"),
    ],
)
def test_emails_are_normalized_per_platform(email, platform, normalized):
    assert normalize_email(email, platform) == normalized


def test_phones_are_e164_for_google_and_bare_digits_for_meta():
    assert normalize_phone("+4915112345678", "google") == "+4915112345678"
    assert normalize_phone("+4915112345678", "meta") == "4915112345678"


def _member(player_id, **profile):
    state = PlayerState.new(player_id)
    state.profile = state.profile.model_copy(update=profile)
    state.segments = {"vip": T0}
    return state


def test_only_consented_channels_of_reachable_members_are_exported_hashed():
    from events.models import Consents

    both = _member(
        "p-both",
        email="a@example.org",
        phone="+441234567890",
        consents=Consents(email=True, sms=True),
    )
    email_only = _member(
        "p-email", email="b@example.org", phone="+441111111111", consents=Consents(email=True)
    )
    none = _member("p-none", email="c@example.org", consents=Consents())
    excluded = _member("p-ex", email="d@example.org", consents=Consents(email=True))
    excluded.rg = RgStatus(
        exclusions=[
            Exclusion(kind="self_exclusion", since=T0 - timedelta(days=1), until=None, event_id="x")
        ]
    )
    outsider = _member("p-out", email="e@example.org", consents=Consents(email=True))
    outsider.segments = {}
    audience = build_audience(
        "vip", "csv", [both, email_only, none, excluded, outsider], T0, ExperimentSettings()
    )
    assert audience.members == 4
    assert dict(audience.excluded) == {"no marketing consent": 1, "responsible gaming": 1}
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    rows = {(r.email_sha256, r.phone_sha256) for r in audience.rows}
    assert rows == {(h("a@example.org"), h("+441234567890")), (h("b@example.org"), None)}
    text = render_audience(audience)
    assert text.splitlines()[0] == "email_sha256,phone_sha256"
    assert "@" not in text
    assert "+44" not in text


def test_a_control_group_player_is_never_exported():
    from events.models import Consents

    everyone = ExperimentSettings(control_group_percent=Decimal(50), salt="s")
    states = [
        _member(f"p-{i}", email=f"{i}@example.org", consents=Consents(email=True))
        for i in range(40)
    ]
    held = [s for s in states if everyone.in_control_group(s.profile.player_id)]
    assert held  # the bucket split puts some of 40 players in a 50% group
    for state in held:
        assert audience_row(state, "google", T0, everyone) == "control group"
