"""E-commerce through the real handlers on moto: interest, catalog fan-out, product templates,
restock timers and recommendations (issue 18, docs/ecommerce.md)."""

import json
from datetime import date, timedelta

from shared.adapters.player_store import product_pk
from shared.local.embedded import sent_emails

T = "2026-11-24T09:00:00+00:00"
GRINDER = {
    "sku": "grinder-c2",
    "name": "Hand grinder C2",
    "price": "89.00",
    "currency": "EUR",
    "url": "https://shop.example/p/grinder-c2",
}
BEANS = {"sku": "beans-1kg", "name": "Espresso beans 1 kg", "price": "24.90", "currency": "EUR"}
MUG = {"sku": "mug", "name": "Mug", "price": "7.00", "currency": "EUR"}


def env(detail_type, **detail):
    return {"source": "shop.example", "detail-type": detail_type, "detail": detail}


def registered(player, locale="en", at=T):
    return env(
        "player.registered",
        player_id=player,
        event_id=f"reg-{player}",
        occurred_at=at,
        locale=locale,
        time_zone="Europe/Berlin",
        country="DE",
        email=f"{player}@example.org",
        consents={"email": True},
    )


def viewed(player, product, at=T, event_id=None):
    return env(
        "shop.product_viewed",
        player_id=player,
        event_id=event_id or f"view-{player}-{product['sku']}-{at}",
        occurred_at=at,
        product=product,
    )


def wishlist(player, product, added, at=T):
    return env(
        "shop.wishlist_changed",
        player_id=player,
        event_id=f"wish-{player}-{product['sku']}-{added}-{at}",
        occurred_at=at,
        product=product,
        added=added,
    )


def purchase(player, order_id, lines, at=T):
    total = sum(float(line["price"]) * line.get("quantity", 1) for line in lines)
    return env(
        "shop.purchase",
        player_id=player,
        event_id=f"paid-{order_id}",
        occurred_at=at,
        order_id=order_id,
        amount=f"{total:.2f}",
        currency="EUR",
        items=sum(line.get("quantity", 1) for line in lines),
        products=lines,
    )


def price_dropped(event_id, at="2026-11-24T12:00:00+00:00"):
    return env(
        "shop.price_dropped",
        event_id=event_id,
        occurred_at=at,
        product={**GRINDER, "price": "69.00"},
        previous_price="89.00",
    )


def publish(stack, templates=(), rules=(), policies=()):
    rt, now = stack.runtime, stack.clock.now()
    for template in templates:
        rt.config.put_template(template, actor="t", now=now)
    for policy in policies:
        rt.config.put_policy(policy, actor="t", now=now)
    for rule in rules:
        rt.config.put_rule(rule, actor="t", now=now)
    rt.config.publish()


PRICE_DROP_TEMPLATE = {
    "template_id": "price-drop",
    "channel": "email",
    "subject": "{{ product.name }} is now {{ product.price }}",
    "text": "Was {{ product.previous_price }}, now {{ product.price }}: {{ product.url }}",
}
PRICE_DROP_RULE = {
    "rule_id": "price-drop-mail",
    "on": ["engage.shop.price_dropped"],
    "then": [{"send": {"template": "price-drop", "channel": "email"}}],
}


def emails_to(stack, player):
    return [m for m in sent_emails(stack) if m["to"] == [f"{player}@example.org"]]


def test_a_price_drop_reaches_exactly_the_players_still_interested_once_even_when_redelivered(
    stack,
):
    publish(stack, [PRICE_DROP_TEMPLATE], [PRICE_DROP_RULE])
    rt = stack.runtime
    players = ["p-view", "p-wish", "p-unwished", "p-bought", "p-none", "p-de"]
    rt.put_events([registered(p, locale="de-DE" if p == "p-de" else "en") for p in players])
    rt.put_events(
        [
            viewed("p-view", GRINDER),
            wishlist("p-wish", GRINDER, True),
            wishlist("p-unwished", GRINDER, True),
            wishlist("p-unwished", GRINDER, False, at="2026-11-24T09:30:00+00:00"),
            viewed("p-bought", GRINDER),
            purchase("p-bought", "o-1", [GRINDER], at="2026-11-24T10:00:00+00:00"),
            viewed("p-none", MUG),
            viewed("p-de", GRINDER),
        ]
    )
    rt.pump()

    rt.put_events([price_dropped("drop-1")])
    rt.pump()
    rt.put_events([price_dropped("drop-1")])  # at-least-once delivery of the catalog event
    rt.pump()

    got = {p: [m["subject"] for m in emails_to(stack, p)] for p in players}
    assert got == {
        "p-view": ["Hand grinder C2 is now €69.00"],
        "p-wish": ["Hand grinder C2 is now €69.00"],
        "p-unwished": [],
        "p-bought": [],
        "p-none": [],
        "p-de": ["Hand grinder C2 is now 69,00\u00a0€"],
    }
    assert (
        "Was €89.00, now €69.00: https://shop.example/p/grinder-c2"
        in (emails_to(stack, "p-view")[0]["body"])
    )
    assert rt.dead_letters() == []


def test_the_interest_index_holds_one_expiring_item_per_interested_player_and_drops_buyers(
    stack,
):
    rt = stack.runtime
    rt.put_events([registered("p-a"), registered("p-b")])
    rt.put_events(
        [
            viewed("p-a", GRINDER),
            wishlist("p-b", GRINDER, True),
            viewed("p-b", GRINDER, at="2026-11-24T09:10:00+00:00"),
        ]
    )
    rt.pump()
    ddb = rt.clients.client("dynamodb")

    def index():
        items = ddb.query(
            TableName=stack.resources.player_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": product_pk("grinder-c2")}},
        )["Items"]
        return {
            i["player_id"]["S"]: ([k["S"] for k in i["kinds"]["L"]], int(i["expires_at"]["N"]))
            for i in items
        }

    before = index()
    assert sorted(before) == ["p-a", "p-b"]
    assert before["p-b"][0] == ["viewed", "wishlisted"]
    # Expires 30 days (the default interest_days) after the latest sign of interest.
    assert before["p-b"][1] - before["p-a"][1] == 600
    assert before["p-a"][1] == int(stack.clock.now().timestamp()) + 30 * 86_400

    rt.put_events([purchase("p-a", "o-2", [GRINDER], at="2026-11-24T11:00:00+00:00")])
    rt.pump()
    assert sorted(index()) == ["p-b"]


def test_a_back_in_stock_for_many_interested_players_fans_out_in_bounded_pages(stack):
    publish(
        stack,
        rules=[
            {
                "rule_id": "restocked-points",
                "on": ["engage.shop.back_in_stock"],
                "then": [{"award_points": {"points": 5}}],
            }
        ],
        policies=[{"policy_id": "shop", "fanout_page": 10}],
    )
    rt = stack.runtime
    # 12 players and pages of 10: the second page comes as a continuation. (Points need no
    # registration, which keeps this story short.)
    players = [f"p-{i:02d}" for i in range(12)]
    rt.put_events([viewed(p, BEANS) for p in players])
    rt.pump()
    restock = env(
        "shop.back_in_stock",
        event_id="stock-beans-1",
        occurred_at="2026-11-24T12:00:00+00:00",
        product=BEANS,
        stock=40,
    )
    rt.put_events([restock])
    rt.pump()
    rt.put_events([restock])
    rt.pump()

    balances = {p: rt.players.state(p).points_balance for p in players}
    assert balances == dict.fromkeys(players, 5)
    # Two pages of at most 10: the second came as its own continuation.
    ddb = rt.clients.client("dynamodb")
    pages = ddb.query(
        TableName=stack.resources.player_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :f)",
        ExpressionAttributeValues={
            ":pk": {"S": product_pk("beans-1kg")},
            ":f": {"S": "FANOUT#"},
        },
    )["Items"]
    assert sorted(i["sk"]["S"] for i in pages) == [
        "FANOUT#stock-beans-1#1",
        "FANOUT#stock-beans-1#2",
    ]
    assert rt.dead_letters() == []


def test_a_cart_reminder_lists_the_abandoned_lines_with_their_prices_in_the_players_locale(
    stack,
):
    publish(
        stack,
        templates=[
            {
                "template_id": "cart-reminder",
                "channel": "email",
                "subject": "You left {{ cart.item_count }} items",
                "text": (
                    "{{ for item in cart.items }}{{ item.quantity }} x {{ item.name }}: "
                    "{{ item.line_total }}\n{{ end }}Total: {{ cart.total }}"
                ),
            }
        ],
        rules=[
            {
                "rule_id": "cart-nudge",
                "on": ["shop.cart_abandoned"],
                "then": [
                    {
                        "schedule": {
                            "timer": "cart-nudge",
                            "after": "PT2H",
                            "then": [{"send": {"template": "cart-reminder", "channel": "email"}}],
                        }
                    }
                ],
            }
        ],
    )
    rt = stack.runtime
    rt.put_events([registered("p-cart", locale="de-DE")])
    rt.put_events(
        [
            env(
                "shop.cart_abandoned",
                player_id="p-cart",
                event_id="cart-1-left",
                occurred_at=T,
                cart_id="cart-1",
                amount="56.80",
                currency="EUR",
                items=3,
                products=[{**BEANS, "quantity": 2}, MUG],
            )
        ]
    )
    rt.pump()
    rt.advance(timedelta(hours=2, minutes=1))

    (mail,) = emails_to(stack, "p-cart")
    assert mail["subject"] == "You left 3 items"
    assert (
        "2 x Espresso beans 1 kg: 49,80\u00a0€\n1 x Mug: 7,00\u00a0€\nTotal: 56,80\u00a0€"
        in (mail["body"])
    )


def test_a_restock_reminder_fires_at_the_players_own_repurchase_interval(stack):
    publish(
        stack,
        templates=[
            {
                "template_id": "restock",
                "channel": "email",
                "subject": "Running low on {{ restock.name }}?",
                "text": "Your usual order: {{ restock.name }} at {{ restock.price }}.",
            }
        ],
        rules=[
            {
                "rule_id": "restock-reminder",
                "on": ["shop.purchase"],
                "then": [
                    {
                        "schedule": {
                            "timer": "restock",
                            "at_next": "predicted_restock",
                            "local_time": "10:00",
                            "if": {"player": {"restock_due": [{"exists": True}]}},
                            "then": [{"send": {"template": "restock", "channel": "email"}}],
                        }
                    }
                ],
            }
        ],
    )
    rt = stack.runtime
    rt.put_events([registered("p-coffee", at="2026-10-01T09:00:00+00:00")])
    # Bought every 14 days, then once after 10: the median gap, 14 days, is the interval.
    rt.put_events([purchase("p-coffee", f"o-{d}", [BEANS], at=_at(d)) for d in (-38, -24, -10, 0)])
    rt.pump()
    timer = rt.players.state("p-coffee").timers["restock"]
    # Day 0 + 14, at 10:00 in Berlin (09:00 UTC in winter).
    assert timer.due_at.isoformat() == "2026-12-08T09:00:00+00:00"

    rt.advance(timedelta(days=13))
    assert emails_to(stack, "p-coffee") == []  # not yet due
    rt.advance(timedelta(days=2))
    (mail,) = emails_to(stack, "p-coffee")
    assert mail["subject"] == "Running low on Espresso beans 1 kg?"
    assert "Your usual order: Espresso beans 1 kg at €24.90." in mail["body"]


def _at(offset: int) -> str:
    """08:00 UTC, `offset` days from the stack's start day (2026-11-24)."""
    return f"{(date(2026, 11, 24) + timedelta(days=offset)).isoformat()}T08:00:00+00:00"


def _orders():
    mug, grinder = {**MUG, "quantity": 1}, {**GRINDER, "quantity": 1}
    beans = {**BEANS, "quantity": 1}
    return [[beans, mug], [beans, grinder], [beans, mug], [mug]]


def test_recommendations_follow_co_purchases_in_a_template_loop_and_the_player_api(stack):
    from events.models import LineItem
    from shared.domain.commerce.recommendations import build_popularity
    from tests.player_api.conftest import call, serving_player_api

    popularity = build_popularity([[LineItem.model_validate(x) for x in o] for o in _orders()])
    publish(
        stack,
        templates=[
            {
                "template_id": "picks",
                "channel": "email",
                "subject": "Picked for you",
                "text": (
                    "{{ for p in recommendations }}* {{ p.name }} ({{ p.price }})\n"
                    "{{ else }}Nothing yet.{{ end }}"
                ),
            }
        ],
        rules=[
            {
                "rule_id": "picks-after-purchase",
                "on": ["shop.purchase"],
                "then": [{"send": {"template": "picks", "channel": "email"}}],
            }
        ],
        policies=[{"policy_id": "shop", "popularity": popularity.model_dump(mode="json")}],
    )
    rt = stack.runtime
    rt.put_events(
        [registered("p-r"), purchase("p-r", "o-r1", [BEANS], at="2026-11-24T09:01:00+00:00")]
    )
    rt.pump()

    (mail,) = emails_to(stack, "p-r")
    assert "* Mug (€7.00)\n* Hand grinder C2 (€89.00)\n" in mail["body"]

    with serving_player_api(stack):
        answer = call("GET", "/v1/players/p-r/recommendations", query={"limit": "1"})
        assert answer.status == 200
        assert [p["sku"] for p in answer.json["products"]] == ["mug"]
        assert answer.json["products"][0]["price"] == "7.00"
        unknown = call("GET", "/v1/players/p-nobody/recommendations")
        assert unknown.status == 404


def test_an_audience_export_hashes_only_consenting_reachable_members_and_is_audited(stack):
    import hashlib

    from shared.adapters.export_audit import ExportAuditLog
    from shared.wiring import build_audience_exporter

    rt = stack.runtime
    publish(stack)
    rt.config.put_segment(
        {"segment_id": "buyers", "match": {"player": {"purchase_count": [{"numeric": [">", 0]}]}}},
        actor="t",
        now=stack.clock.now(),
    )
    rt.config.publish()

    def reg(player, email, consents, phone=None):
        detail = {
            "player_id": player,
            "event_id": f"reg-{player}",
            "occurred_at": T,
            "locale": "en",
            "time_zone": "Europe/Berlin",
            "country": "DE",
            "email": email,
            "consents": consents,
        }
        if phone:
            detail["phone"] = phone
        return {"source": "shop.example", "detail-type": "player.registered", "detail": detail}

    rt.put_events(
        [
            reg("p-both", "First.Last@GMail.com", {"email": True, "sms": True}, "+4915112345678"),
            reg("p-sms", "sms@example.org", {"sms": True}, "+4915187654321"),
            reg("p-none", "none@example.org", {}),
            reg("p-excluded", "ex@example.org", {"email": True}),
            reg("p-browser", "browse@example.org", {"email": True}),
        ]
    )
    rt.put_events(
        [
            purchase(p, f"o-{p}", [MUG], at="2026-11-24T09:05:00+00:00")
            for p in ("p-both", "p-sms", "p-none", "p-excluded")
        ]
        + [
            env(
                "rg.self_excluded",
                player_id="p-excluded",
                event_id="ex-1",
                occurred_at="2026-11-24T09:06:00+00:00",
            )
        ]
    )
    rt.pump()
    rt.advance(timedelta(hours=1))  # after the exclusion
    exporter = build_audience_exporter(
        stack.resources.player_table, stack.resources.config_table, rt.clients, stack.clock
    )

    def h(text):
        return hashlib.sha256(text.encode()).hexdigest()

    google = exporter.export("buyers", "google", actor="alice")
    assert google.text.splitlines() == [
        "Email,Phone",
        f",{h('+4915187654321')}",
        f"{h('firstlast@gmail.com')},{h('+4915112345678')}",
    ]
    meta = exporter.export("buyers", "meta", actor="alice")
    rows = json.loads(meta.text)["payload"]["data"]
    assert sorted(rows) == sorted(
        [[h("first.last@gmail.com"), h("4915112345678")], ["", h("4915187654321")]]
    )
    assert "@" not in google.text + meta.text

    entries = ExportAuditLog(stack.resources.config_table, rt.clients.client("dynamodb")).entries()
    by_format = {e.format: e for e in entries}
    assert sorted(by_format) == ["google", "meta"]
    first = by_format["google"]
    assert (first.actor, first.segment, first.rows, first.members) == ("alice", "buyers", 2, 4)
    assert first.excluded == {"no marketing consent": 1, "responsible gaming": 1}
    assert first.file_sha256 == h(google.text)
    assert by_format["meta"].file_sha256 == h(meta.text)
