"""Spins and purchases over moto: idempotent requests, stock and budget never exceeded when
many callers race for the last units (the e2e conftest makes moto's transactions isolated;
the conditional claims are still checked, so the races are real)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from shared.adapters.game_pools import SPIN_PREFIX, store_stock_key, wheel_budget_key
from shared.adapters.player_store import player_pk
from shared.services.game_commands import GameRefused
from shared.services.game_records import SpinRecord
from tests.game_builders import EARN_RULE, GRANT_RULE, deposit_of, excluded, item, prize, wheel
from tests.game_stack import FirstPrize, balance_matches_ledger, commands, publish_game, seed

RACERS = 10


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once (released together by a barrier); each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected: the test asserts on every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _players_with_spins(stack: Any, n: int, spins_each: int = 1) -> list[str]:
    players = [f"p-{i}" for i in range(n)]
    for p in players:
        seed(stack, p, [deposit_of(10, stack.clock.now(), p) for _ in range(spins_each)])
    return players


def _codes(results: list[Any]) -> Counter[str]:
    return Counter(r.code if isinstance(r, GameRefused) else type(r).__name__ for r in results)


def test_given_a_spin_then_the_prize_is_paid_recorded_and_a_retry_answers_the_same(stack):
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[wheel()], rules=[GRANT_RULE])
    [player] = _players_with_spins(stack, 1)
    games = commands(stack, FirstPrize())

    first = games.spin(player, "daily", "req-1")
    retry = games.spin(player, "daily", "req-1")

    assert (first.record.prize_id, first.replayed) == ("p100", False)
    assert retry.record == first.record
    assert retry.replayed
    assert balance_matches_ledger(stack, player) == (100, 100)
    stored = games._pools.record(player_pk(player), SPIN_PREFIX + "req-1")
    assert SpinRecord.model_validate_json(stored or "").weights == {"p100": 1, "miss": 1}


def test_given_one_spin_then_a_second_request_is_refused_with_no_spins(stack):
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[wheel()], rules=[GRANT_RULE])
    [player] = _players_with_spins(stack, 1)
    games = commands(stack)
    games.spin(player, "daily", "req-1")

    with pytest.raises(GameRefused) as refused:
        games.spin(player, "daily", "req-2")

    assert refused.value.code == "no_spins"


def test_given_a_request_id_used_for_another_wheel_then_it_is_refused(stack):
    publish_game(
        stack.runtime.config, stack.clock.now(), wheels=[wheel(), wheel("gold")], rules=[GRANT_RULE]
    )
    [player] = _players_with_spins(stack, 1)
    games = commands(stack)
    games.spin(player, "daily", "req-1")

    with pytest.raises(GameRefused) as refused:
        games.spin(player, "gold", "req-1")

    assert refused.value.code == "request_reused"


def test_given_a_self_excluded_player_then_spinning_is_refused_for_responsible_gaming(stack):
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[wheel()], rules=[GRANT_RULE])
    [player] = _players_with_spins(stack, 1)
    seed(stack, player, [excluded(stack.clock.now(), player)])

    with pytest.raises(GameRefused) as refused:
        commands(stack).spin(player, "daily", "req-1")

    assert refused.value.code == "responsible_gaming"


def test_given_racing_players_for_the_last_units_of_a_prize_then_only_the_stock_is_paid(stack):
    stocked = wheel("daily", prize("car", stock=3, badge="car-owner"), prize("miss"))
    publish_game(
        stack.runtime.config,
        stack.clock.now(),
        wheels=[stocked],
        rules=[GRANT_RULE],
        badges=["car-owner"],
    )
    players = _players_with_spins(stack, RACERS)
    games = commands(stack, FirstPrize())

    results = race([lambda p=p: games.spin(p, "daily", f"req-{p}") for p in players])

    assert Counter(r.record.prize_id for r in results) == {"car": 3, "miss": RACERS - 3}
    used = games._pools.usage([("POOL#wheel#daily", "STOCK#car")])
    assert used[("POOL#wheel#daily", "STOCK#car")] == 3


def test_given_racing_spins_then_the_budget_is_never_exceeded(stack):
    budgeted = wheel(
        "daily",
        prize("p100", points=100, cost=100),
        prize("miss"),
        budget={"total": 250, "period": "day"},
    )
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[budgeted], rules=[GRANT_RULE])
    players = _players_with_spins(stack, RACERS)
    games = commands(stack, FirstPrize())

    results = race([lambda p=p: games.spin(p, "daily", f"req-{p}") for p in players])

    assert Counter(r.record.prize_id for r in results) == {"p100": 2, "miss": RACERS - 2}
    key = wheel_budget_key("daily", stack.clock.now().date().isoformat())
    assert games._pools.usage([key])[key] == 200
    for p in players:
        balance, ledger = balance_matches_ledger(stack, p)
        assert balance == ledger


def test_given_one_player_racing_their_own_spins_then_each_spin_is_used_once(stack):
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[wheel()], rules=[GRANT_RULE])
    [player] = _players_with_spins(stack, 1, spins_each=3)
    games = commands(stack, FirstPrize(), max_attempts=20)

    results = race([lambda i=i: games.spin(player, "daily", f"req-{i}") for i in range(8)])

    assert _codes(results) == {"Spun": 3, "no_spins": 5}
    assert balance_matches_ledger(stack, player) == (300, 300)


def test_given_the_same_request_racing_itself_then_one_spin_is_used_and_all_answers_agree(stack):
    publish_game(stack.runtime.config, stack.clock.now(), wheels=[wheel()], rules=[GRANT_RULE])
    [player] = _players_with_spins(stack, 1, spins_each=3)
    games = commands(stack, max_attempts=20)

    results = race([lambda: games.spin(player, "daily", "req-same") for _ in range(6)])

    assert len({r.record.model_dump_json() for r in results}) == 1
    assert [s.count for s in games.spins(player)] == [2]


def test_given_racing_buyers_for_the_last_units_then_exactly_the_stock_is_sold(stack):
    publish_game(
        stack.runtime.config,
        stack.clock.now(),
        items=[item("voucher", 100, stock=2)],
        rules=[EARN_RULE],
    )
    players = [f"p-{i}" for i in range(RACERS)]
    for p in players:
        seed(stack, p, [deposit_of(150, stack.clock.now(), p)])
    games = commands(stack)

    results = race([lambda p=p: games.buy(p, "voucher", f"req-{p}") for p in players])

    assert _codes(results) == {"Bought": 2, "sold_out": RACERS - 2}
    key = store_stock_key("voucher")
    assert games._pools.usage([key])[key] == 2
    assert [o.stock_left for o in games.items()] == [0]
    balances = sorted(balance_matches_ledger(stack, p) for p in players)
    assert balances == [(50, 50)] * 2 + [(150, 150)] * (RACERS - 2)


def test_given_one_player_racing_purchases_then_the_balance_never_goes_negative(stack):
    publish_game(
        stack.runtime.config, stack.clock.now(), items=[item("voucher", 100)], rules=[EARN_RULE]
    )
    seed(stack, "p-1", [deposit_of(250, stack.clock.now(), "p-1")])
    games = commands(stack, max_attempts=20)

    results = race([lambda i=i: games.buy("p-1", "voucher", f"req-{i}") for i in range(6)])

    assert _codes(results) == {"Bought": 2, "insufficient_points": 4}
    assert balance_matches_ledger(stack, "p-1") == (50, 50)


def test_given_a_spin_then_its_event_reaches_the_bus_and_the_engine_does_not_apply_it_twice(
    started,
):
    runtime = started.runtime
    # The starter config's daily-login-spin rule grants one spin of the starter wheel.
    login = {
        "source": "casino.example",
        "detail-type": "player.logged_in",
        "detail": {
            "player_id": "p-1",
            "event_id": "login-1",
            "occurred_at": started.clock.now().isoformat(),
        },
    }
    runtime.put_events([login])
    runtime.pump()
    games = commands(started, FirstPrize())
    assert [(s.wheel_id, s.count) for s in games.spins("p-1")] == [("daily", 1)]

    spun = games.spin("p-1", "daily", "req-1")
    version = runtime.players.state("p-1").version
    handled = runtime.pump()

    published = [
        (item.effect.detail_type, status)
        for item, status, _ in runtime.players.outbox("p-1")
        if item.effect.kind == "publish"
    ]
    assert ("engage.wheel.spun", "done") in published
    assert handled >= 2  # the outbox record, then the event back through the engine queue
    assert runtime.players.state("p-1").version == version
    assert balance_matches_ledger(started, "p-1") == (10 + 10, 10 + 10)
    assert spun.record.prize_id == "points-10"
