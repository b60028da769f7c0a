"""Random interleavings of grants, spins, purchases and time: each spin is used once, the
balance never goes negative and always equals the sum of the ledger."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.core.state import PlayerState
from shared.domain.players.rg import gate
from shared.domain.run.decide import decide
from tests.builders import PLAYER, T0
from tests.game_builders import (
    EARN_RULE,
    GRANT_RULE,
    deposit_of,
    game_config,
    item,
    prize,
    purchased,
    spun,
    wheel,
)

CONFIG = game_config(
    GRANT_RULE,
    EARN_RULE,
    wheels=[
        wheel(
            "daily",
            prize("p50", points=50),
            prize("more", spins={"wheel": "daily", "count": 1, "expires_after": "PT2H"}),
            prize("badge", badge="lucky"),
            prize("miss"),
        )
    ],
    items=[
        item("cheap", 30),
        item("dear", 200),
        item("spins", 80, spins={"wheel": "daily", "count": 2, "expires_after": "PT3H"}),
        item("once", 10, per_player=1),
    ],
)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("deposit"), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("spin"), st.sampled_from(["p50", "more", "badge", "miss"])),
        st.tuples(st.just("buy"), st.sampled_from(["cheap", "dear", "spins", "once"])),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=30)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_any_interleaving_uses_each_spin_once_and_keeps_balance_equal_to_ledger(steps):
    state = PlayerState.new(PLAYER)
    t = T0
    ledger_sum = 0
    used: set[str] = set()
    for op, arg in steps:
        t += timedelta(minutes=1)
        if op == "wait":
            t += timedelta(hours=int(arg))
            continue
        if op == "deposit":
            event = deposit_of(int(arg), t)
        elif op == "spin":
            event = spun(str(arg), t)
        else:
            event = purchased(str(arg), CONFIG.game.store[str(arg)].price, t)
        live_before = {g.grant_id for g in state.rewards.live("daily", t)}
        # Many deposits a day raise an RG flag, which refuses spins like any bonus.
        may_spin = op == "spin" and live_before and gate(state.rg, "bonus", (t,)).allowed
        decision = decide(state, event, CONFIG, t)
        state = decision.state
        ledger_sum += sum(e.points for e in decision.ledger)
        held_after = {g.grant_id for gs in state.rewards.spins.values() for g in gs}
        consumed = live_before - held_after
        # Only a spin consumes a spin, exactly one when one is live, and never one twice.
        assert len(consumed) == (1 if may_spin else 0)
        assert not (consumed & used)
        assert not (held_after & used), "a used spin came back"
        used |= consumed
        assert state.points_balance >= 0
        assert state.points_balance == ledger_sum == state.wallet.total()
        assert state.rewards.bought.get("once", 0) <= 1
