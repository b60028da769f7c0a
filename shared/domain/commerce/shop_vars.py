"""The typed shop variables a message template may use, and their values for one send.

Product fields are the same wherever a product appears: `sku`, `name`, `price` (money,
written for the message's locale), `image_url`, `url`, `category`.

- `product.*` (and `previous_price`, `drop_percent`): the event's product, i.e. the price
  drop, restock, view or wishlist change the rule reacts to;
- `cart.items[].*` (and `quantity`, `line_total`), `cart.total`, `cart.item_count`: the
  latest abandoned cart's lines, until a purchase after it;
- `recommendations[].*`: products for this player (recommendations.py);
- `restock.*` (and `due_at`): the product whose predicted restock comes first (shop.py).

`cart.items` and `recommendations` are lists: a template repeats over them with
`{{ for item in cart.items }} ... {{ end }}` (templates.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from events.models import (
    EventDetail,
    LineItem,
    Product,
    ProductPriceDropped,
    ShopProductViewed,
    ShopWishlistChanged,
)
from shared.domain.basics.calendar_dates import zone
from shared.domain.commerce.recommendations import ShopPolicy, recommend
from shared.domain.commerce.shop import ShopHistory, restock_predictions

PRODUCT_FIELDS = ("sku", "name", "price", "image_url", "url", "category")
LIST_VARIABLES = frozenset({"cart.items", "recommendations"})
SHOP_TEMPLATE_VARIABLES = frozenset(
    {f"product.{f}" for f in (*PRODUCT_FIELDS, "previous_price", "drop_percent")}
    | {f"cart.items[].{f}" for f in (*PRODUCT_FIELDS, "quantity", "line_total")}
    | {"cart.total", "cart.item_count"}
    | {f"recommendations[].{f}" for f in PRODUCT_FIELDS}
    | {f"restock.{f}" for f in (*PRODUCT_FIELDS, "due_at")}
)
SHOP_ROOTS = frozenset({"product", "cart", "recommendations", "restock"})

# Typical values for lint's length estimates (template_lint.SAMPLE_VALUES).
_SAMPLE_PRODUCT = {
    "sku": "coffee-beans-1kg",
    "name": "Espresso beans 1 kg",
    "price": {"amount": Decimal("24.90"), "currency": "EUR"},
    "image_url": "https://shop.example/img/coffee-beans-1kg.jpg",
    "url": "https://shop.example/p/coffee-beans-1kg",
    "category": "coffee",
}
SAMPLE_SHOP_VALUES: dict[str, object] = {
    "product": {
        **_SAMPLE_PRODUCT,
        "previous_price": {"amount": Decimal("29.90"), "currency": "EUR"},
        "drop_percent": Decimal("16.72"),
    },
    "cart": {
        "items": [
            {**_SAMPLE_PRODUCT, "quantity": 2, "line_total": _SAMPLE_PRODUCT["price"]},
            {**_SAMPLE_PRODUCT, "quantity": 1, "line_total": _SAMPLE_PRODUCT["price"]},
            {**_SAMPLE_PRODUCT, "quantity": 1, "line_total": _SAMPLE_PRODUCT["price"]},
        ],
        "total": {"amount": Decimal("99.60"), "currency": "EUR"},
        "item_count": 4,
    },
    "recommendations": [_SAMPLE_PRODUCT] * 4,
    "restock": {**_SAMPLE_PRODUCT, "due_at": "2026-12-01"},
}


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def product_value(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "price": money(product.price, product.currency),
        "image_url": product.image_url,
        "url": product.url,
        "category": product.category,
    }


def _line_value(line: LineItem) -> dict[str, Any]:
    return {
        **product_value(line),
        "quantity": line.quantity,
        "line_total": money(line.price * line.quantity, line.currency),
    }


def _event_product(event: EventDetail) -> dict[str, Any] | None:
    if isinstance(event, ProductPriceDropped):
        return {
            **product_value(event.product),
            "previous_price": money(event.previous_price, event.product.currency),
            "drop_percent": event.drop_percent,
        }
    product = event.value_of("product")
    if isinstance(event, ShopProductViewed | ShopWishlistChanged) or isinstance(product, Product):
        return product_value(product) if isinstance(product, Product) else None
    return None


def shop_values(
    roots: frozenset[str],
    event: EventDetail,
    history: ShopHistory,
    policy: ShopPolicy,
    now: datetime,
    time_zone: str | None = None,
) -> dict[str, Any]:
    """Values of the shop variables a template reads (`roots`), for this player now.

    Only what the template uses is computed and carried in the outbox item.
    """
    values: dict[str, Any] = {}
    if "product" in roots:
        values["product"] = _event_product(event)
    if "cart" in roots and history.cart:
        lines = history.cart
        currencies = {line.currency for line in lines}
        total = (
            money(
                sum((line.price * line.quantity for line in lines), Decimal(0)), lines[0].currency
            )
            if len(currencies) == 1
            else None  # a mixed-currency cart has no one total
        )
        values["cart"] = {
            "items": [_line_value(line) for line in lines],
            "total": total,
            "item_count": sum(line.quantity for line in lines),
        }
    if "recommendations" in roots:
        values["recommendations"] = [product_value(p) for p in recommend(history, policy, now)]
    if "restock" in roots:
        predictions = restock_predictions(history)
        if predictions:
            sku = min(predictions, key=lambda s: (predictions[s], s))
            values["restock"] = {
                **product_value(history.bought[sku].product),
                # The player's local date: "around 12 March", not a UTC instant.
                "due_at": predictions[sku].astimezone(zone(time_zone)).date().isoformat(),
            }
    return values
