"""Points, tier and badge routes over a player the real engine scored (moto, local runtime)."""

from __future__ import annotations

from datetime import timedelta

from shared.local.demo import envelope

from .conftest import PLAYER, call

RULES = [
    {
        "rule_id": "deposit-points",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"rate": 1, "of": "amount"}}],
    },
    {
        "rule_id": "first-deposit-badge",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"grant_badge": {"badge": "first-deposit"}}],
    },
]
GAME = {
    "points": [{"policy_id": "points", "expire_after_days": 90}],
    "tiers": [
        {
            "program_id": "vip",
            "window": "rolling",
            "rolling_days": 365,
            "tiers": [
                {"tier_id": "silver", "name": "Silver", "min_points": 100},
                {"tier_id": "gold", "name": "Gold", "min_points": 500},
            ],
        }
    ],
    "badge": [{"badge_id": "first-deposit", "name": "First deposit", "description": "Welcome"}],
}


def _configure(stack, game=GAME):
    config, now = stack.runtime.config, stack.clock.now()
    for kind, items in game.items():
        for item in items:
            config.put_game(kind, item, actor="test", now=now)
    for rule in RULES:
        config.put_rule(rule, actor="test", now=now)
    config.publish()


def _deposit(stack, n: int, amount: str) -> None:
    when = stack.clock.now().isoformat()
    stack.runtime.put_events(
        [
            envelope(
                "wallet.deposit_succeeded",
                {
                    "player_id": PLAYER,
                    "event_id": f"dep-{n}",
                    "occurred_at": when,
                    "deposit_id": f"d-{n}",
                    "amount": amount,
                    "currency": "EUR",
                },
            )
        ]
    )
    stack.runtime.pump()


def test_given_deposits_when_reading_points_then_balance_and_next_expiry_are_shown(stack):
    _configure(stack)
    _deposit(stack, 1, "120")
    stack.clock.advance(timedelta(days=1))
    _deposit(stack, 2, "30")

    answer = call("GET", f"/v1/players/{PLAYER}/points")

    assert answer.status == 200
    assert answer.json["balance"] == 150
    assert answer.json["owed"] == 0
    assert answer.json["expiring_points"] == 120
    assert answer.json["next_expiry"].startswith("2027-02-2")


def test_given_ledger_lines_when_paging_then_they_come_newest_first_with_a_cursor(stack):
    _configure(stack)
    for n in range(3):
        _deposit(stack, n, str(10 * (n + 1)))
        stack.clock.advance(timedelta(minutes=5))

    first = call("GET", f"/v1/players/{PLAYER}/points/ledger", query={"limit": "2"})
    second = call(
        "GET",
        f"/v1/players/{PLAYER}/points/ledger",
        query={"limit": "2", "cursor": first.json["next_cursor"]},
    )

    assert [line["points"] for line in first.json["lines"]] == [30, 20]
    assert [line["balance_after"] for line in first.json["lines"]] == [60, 30]
    assert [line["points"] for line in second.json["lines"]] == [10]
    assert second.json["next_cursor"] is None


def test_given_an_inbox_cursor_when_paging_the_ledger_then_it_is_refused(stack):
    from shared.player_api.cursors import encode_cursor

    answer = call(
        "GET",
        f"/v1/players/{PLAYER}/points/ledger",
        query={"cursor": encode_cursor("INBOX#2026#x")},
    )

    assert answer.status == 400


def test_given_a_tier_program_when_reading_the_tier_then_progress_to_the_next_is_shown(stack):
    _configure(stack)
    _deposit(stack, 1, "300")

    answer = call("GET", f"/v1/players/{PLAYER}/tier")

    assert answer.status == 200
    body = answer.json
    assert (body["tier"], body["next_tier"], body["qualifying_points"]) == ("silver", "gold", 300)
    assert body["points_to_next"] == 200
    assert body["percent"] == 50


def test_given_no_tier_program_when_reading_the_tier_then_it_is_a_404(stack):
    _configure(stack, game={})

    answer = call("GET", f"/v1/players/{PLAYER}/tier")

    assert answer.status == 404
    assert answer.json["error"] == "not_found"


def test_given_a_badge_granted_twice_when_listing_badges_then_it_is_held_once(stack):
    _configure(stack)
    _deposit(stack, 1, "10")
    _deposit(stack, 2, "10")

    answer = call("GET", f"/v1/players/{PLAYER}/badges")

    assert [(b["badge_id"], b["name"]) for b in answer.json["badges"]] == [
        ("first-deposit", "First deposit")
    ]


def test_given_the_openapi_document_then_it_lists_the_points_routes(stack):
    paths = call("GET", "/v1/openapi.json").json["paths"]

    for route in ("points", "points/ledger", "tier", "badges"):
        assert f"/v1/players/{{player_id}}/{route}" in paths
