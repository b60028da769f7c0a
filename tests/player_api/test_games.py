"""Player API: spins available, spin, store items, buy (through the real Lambda handler)."""

from __future__ import annotations

from tests.game_builders import EARN_RULE, GRANT_RULE, deposit_of, excluded, item, prize, wheel
from tests.game_stack import publish_game, seed

from .conftest import PLAYER, call


def _given_game(stack, *, spins: int = 1, points: int = 0):
    publish_game(
        stack.runtime.config,
        stack.clock.now(),
        wheels=[wheel("daily", prize("p100", points=100))],
        items=[
            item("voucher", 100, stock=1, description="A voucher"),
            item("free-spins", 50, spins={"wheel": "daily", "count": 2}),
        ],
        rules=[GRANT_RULE, EARN_RULE] if points else [GRANT_RULE],
    )
    for _ in range(spins):
        seed(stack, PLAYER, [deposit_of(max(points, 1), stack.clock.now(), PLAYER)])
        points = 0


def test_given_a_granted_spin_then_the_player_sees_it_by_wheel(stack):
    _given_game(stack)

    answer = call("GET", f"/v1/players/{PLAYER}/spins")

    assert answer.status == 200
    [daily] = answer.json["wheels"]
    assert (daily["wheel_id"], daily["name"], daily["count"]) == ("daily", "Daily", 1)


def test_given_a_spin_then_post_spin_answers_the_prize_and_a_retry_the_same_prize(stack):
    _given_game(stack)
    path = f"/v1/players/{PLAYER}/wheels/daily/spin"

    first = call("POST", path, body={"request_id": "r-1"})
    retry = call("POST", path, body={"request_id": "r-1"})

    assert first.status == 200
    assert first.json["prize_id"] == "p100"
    assert first.json["balance_after"] == 100
    assert first.json["spins_left"] == 0
    assert retry.json == {**first.json, "replayed": True}


def test_given_no_spins_then_post_spin_answers_409_no_spins(stack):
    _given_game(stack, spins=0)

    answer = call("POST", f"/v1/players/{PLAYER}/wheels/daily/spin", body={"request_id": "r-1"})

    assert answer.status == 409
    assert answer.json["error"] == "no_spins"


def test_given_an_unknown_wheel_then_post_spin_answers_404(stack):
    _given_game(stack)

    answer = call("POST", f"/v1/players/{PLAYER}/wheels/gold/spin", body={"request_id": "r-1"})

    assert (answer.status, answer.json["error"]) == (404, "unknown_wheel")


def test_given_no_request_id_then_post_spin_answers_400_naming_it(stack):
    _given_game(stack)

    answer = call("POST", f"/v1/players/{PLAYER}/wheels/daily/spin", body={})

    assert answer.status == 400
    assert "request_id" in answer.json["message"]


def test_given_a_self_excluded_player_then_post_spin_answers_403_responsible_gaming(stack):
    _given_game(stack)
    seed(stack, PLAYER, [excluded(stack.clock.now(), PLAYER)])

    answer = call("POST", f"/v1/players/{PLAYER}/wheels/daily/spin", body={"request_id": "r-1"})

    assert (answer.status, answer.json["error"]) == (403, "responsible_gaming")


def test_given_store_items_then_they_are_listed_with_the_stock_left(stack):
    _given_game(stack)

    answer = call("GET", "/v1/store/items")

    assert answer.status == 200
    assert [(i["item_id"], i["stock_left"], i["gives"]) for i in answer.json["items"]] == [
        ("free-spins", None, "spins"),
        ("voucher", 1, "fulfilment"),
    ]


def test_given_points_then_buy_answers_the_purchase_and_the_last_unit_is_then_sold_out(stack):
    _given_game(stack, points=300)
    path = f"/v1/players/{PLAYER}/store/voucher/buy"

    bought = call("POST", path, body={"request_id": "b-1"})
    again = call("POST", path, body={"request_id": "b-2"})

    assert bought.status == 200
    assert (bought.json["price"], bought.json["balance_after"]) == (100, 200)
    assert (again.status, again.json["error"]) == (409, "sold_out")
    assert call("GET", "/v1/store/items").json["items"][1]["stock_left"] == 0


def test_given_too_few_points_then_buy_answers_409_insufficient_points(stack):
    _given_game(stack, points=20)

    answer = call("POST", f"/v1/players/{PLAYER}/store/voucher/buy", body={"request_id": "b-1"})

    assert (answer.status, answer.json["error"]) == (409, "insufficient_points")


def test_given_an_item_giving_spins_then_buying_it_shows_them_on_the_spins_route(stack):
    _given_game(stack, points=60)  # the deposit earns 60 points and 1 spin

    bought = call("POST", f"/v1/players/{PLAYER}/store/free-spins/buy", body={"request_id": "b"})

    assert bought.status == 200
    assert call("GET", f"/v1/players/{PLAYER}/spins").json["wheels"][0]["count"] == 1 + 2


def test_the_openapi_document_describes_the_game_routes(stack):
    paths = call("GET", "/v1/openapi.json").json["paths"]

    assert {
        "/v1/players/{player_id}/spins",
        "/v1/players/{player_id}/wheels/{wheel_id}/spin",
        "/v1/store/items",
        "/v1/players/{player_id}/store/{item_id}/buy",
    } <= set(paths)
