"""Rule budgets over moto with racing engines: a campaign budget and a per-player budget are
never exceeded. Every racer reads the pool before any of them commits (a barrier after the
read), so each one decides as if the budget were untouched: only the claim's condition in
the commit can hold the limit, and the test with the condition removed shows it does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest

from shared.adapters import game_pools
from shared.adapters.game_pools import GamePools, PoolKey, rule_budget_key
from shared.services.engine_batch import InboundRecord
from shared.wiring import build_engine
from tests.e2e.test_wheel_store_races import race

RACERS = 8
T = "2026-11-24T09:00:00+00:00"
BONUS = {
    "rule_id": "deposit-bonus",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"award_points": {"points": 100}}],
}


def deposit(player: str, event_id: str, day: int = 24) -> str:
    return json.dumps(
        {
            "source": "casino.example",
            "detail-type": "wallet.deposit_succeeded",
            "detail": {
                "player_id": player,
                "event_id": event_id,
                "occurred_at": f"2026-11-{day:02d}T09:00:00+00:00",
                "deposit_id": f"d-{event_id}",
                "amount": "20.00",
                "currency": "EUR",
            },
        }
    )


class ReadTogether:
    """Pool usage as read, released only once every racer has read (first read only)."""

    def __init__(self, pools: GamePools, barrier: threading.Barrier) -> None:
        self._pools, self._barrier, self._first = pools, barrier, True

    def usage(self, keys: Sequence[PoolKey]) -> dict[PoolKey, int]:
        found = self._pools.usage(keys)
        if self._first:
            self._first = False
            self._barrier.wait(timeout=30)
        return found


def _publish(stack: Any, budget: dict[str, Any]) -> None:
    stack.runtime.config.put_rule({**BONUS, "budget": budget}, actor="test", now=stack.clock.now())
    stack.runtime.config.publish()


def _engines(stack: Any, n: int) -> list[Any]:
    settings = stack.resources.engine_settings()
    ddb = stack.runtime.clients.client("dynamodb")
    barrier = threading.Barrier(n)
    engines = []
    for _ in range(n):
        engine = build_engine(settings, stack.clock, stack.runtime.clients)
        engine._pools = ReadTogether(GamePools(settings.player_table, ddb), barrier)
        engines.append(engine)
    return engines


def _until_done(engine: Any, record: InboundRecord) -> None:
    pending = [record]
    while pending:  # as SQS does: a record reported failed comes back
        failed = engine.process(pending).failed_message_ids
        pending = [r for r in pending if r.message_id in failed]


def _awarded(stack: Any, players: Sequence[str]) -> int:
    return sum(e.points for p in players for e in stack.runtime.players.ledger(p))


def _campaign_race(stack: Any) -> tuple[list[str], int]:
    players = [f"p-{i}" for i in range(RACERS)]
    engines = _engines(stack, RACERS)
    calls: list[Callable[[], None]] = [
        partial(_until_done, engines[i], InboundRecord(f"m-{i}", deposit(players[i], "d")))
        for i in range(RACERS)
    ]
    race(calls)
    key = rule_budget_key("deposit-bonus", "2026-11-24")
    used = GamePools(stack.resources.player_table, stack.runtime.clients.client("dynamodb"))
    return players, used.usage([key])[key]


def test_given_racing_engines_then_a_campaign_budget_is_never_exceeded(stack):
    _publish(stack, {"campaign": 250, "period": "day"})

    players, used = _campaign_race(stack)

    assert _awarded(stack, players) == 200
    assert used == 200
    refusals = [
        a
        for p in players
        for a in stack.runtime.players.audit(p)
        if a.category == "suppression" and a.reason == "budget_campaign"
    ]
    assert len(refusals) == RACERS - 2
    assert refusals[0].inputs == {"budget": "250", "cost": "100"}


def test_given_claims_without_their_condition_then_the_same_race_overspends(stack, monkeypatch):
    # The control experiment: the claim's condition is what holds the budget above.
    conditioned = game_pools.claim_write

    def unconditioned(table: str, claim: Any) -> dict[str, Any]:
        write: dict[str, Any] = conditioned(table, claim)
        del write["Update"]["ConditionExpression"]
        del write["Update"]["ExpressionAttributeValues"][":most"]
        return write

    monkeypatch.setattr("shared.adapters.player_store.claim_write", unconditioned)
    _publish(stack, {"campaign": 250, "period": "day"})

    players, used = _campaign_race(stack)

    assert _awarded(stack, players) > 250
    assert used > 250


def test_given_racing_engines_for_one_player_then_their_budget_is_never_exceeded(stack):
    _publish(stack, {"per_player": 250, "period": "month"})
    engines = _engines(stack, 4)
    for engine in engines:
        engine._pools = None  # no campaign pool: nothing to read, no barrier
    records = [InboundRecord(f"m-{i}", deposit("p-1", f"dep-{i}", day=10 + i)) for i in range(4)]

    race([lambda i=i: _until_done(engines[i], records[i]) for i in range(4)])

    assert _awarded(stack, ["p-1"]) == 200
    state = stack.runtime.players.state("p-1")
    assert state is not None
    assert state.budget_used == {"deposit-bonus#2026-11": 200}


@pytest.mark.parametrize("budget", [{"campaign": 1000}, {"per_player": 1000}])
def test_given_a_budget_with_room_then_every_racer_is_paid(stack, budget):
    _publish(stack, budget)

    players, _ = _campaign_race(stack)

    assert _awarded(stack, players) == 100 * RACERS
