"""`decide(..., in_place=True)` (the backtest's replay) decides exactly what the copying
decide does: same states, ledger lines, outbox, audit and trace, event after event; with
`traced=False` too, but for the trace."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.backtest.config_items import starter_items
from shared.backtest.outcome import Tally
from shared.backtest.replay import run
from shared.backtest.simulate import synthetic_history
from shared.domain.core.state import PlayerState
from shared.domain.run.decide import decide

START = datetime(2026, 10, 1, tzinfo=UTC)


def test_an_in_place_decision_equals_the_copying_one_over_a_simulated_month():
    config = starter_items().build(1)
    history = synthetic_history(12, 30, "casino", seed=3, start=START)
    compared = 0
    for player in history.players:
        copied = owned = PlayerState.new(player.player_id)
        untraced = PlayerState.new(player.player_id)  # its own: decided in place too
        for event in player.events:
            expected = decide(copied, event, config, event.occurred_at)
            got = decide(owned, event, config, event.occurred_at, in_place=True)
            # The replay's way: in place and without a trace; all else the same.
            quiet = decide(untraced, event, config, event.occurred_at, in_place=True, traced=False)
            assert quiet.state.model_dump_json() == expected.state.model_dump_json()
            assert (quiet.ledger, quiet.outbox, quiet.audit) == (
                expected.ledger,
                expected.outbox,
                expected.audit,
            )
            assert quiet.trace == []
            untraced = quiet.state
            assert got.state is owned  # changed, not copied
            assert got.state.model_dump_json() == expected.state.model_dump_json()
            assert got.ledger == expected.ledger
            assert got.outbox == expected.outbox
            assert got.audit == expected.audit
            assert got.trace == expected.trace
            assert got.spins_granted == expected.spins_granted
            copied, owned = expected.state, got.state
            compared += 1
    assert compared > 500


def test_the_replay_decides_in_place_and_still_counts_every_spin_once():
    # In place there is no state before the step to tell new spins by: the decision says
    # which it granted. Every grant still held at the end was counted (spins used meanwhile
    # are gone from the state, so the count may be higher).
    config = starter_items().build(1)
    history = synthetic_history(30, 20, "casino", seed=5, start=START)
    tally = Tally(count_from=START)
    result = run(history.players, config, datetime(2026, 10, 21, tzinfo=UTC), observer=tally)

    granted = sum(
        1
        for player in result.players
        for grants in player.state.rewards.spins.values()
        for _ in grants
    )
    assert sum(tally.spins_by_rule.values()) >= granted > 0
