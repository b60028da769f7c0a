"""The reorder window through the local stack: held, shown, then decided in event-time order."""

from __future__ import annotations

from datetime import timedelta

from shared.local.inspect import describe_player
from tests.e2e.test_rebuild import deposit, registered


def test_events_wait_for_the_window_then_are_decided_in_event_time_order(live):
    # Given: a deposit delivered before the registration it follows (2 s apart)
    rt = live.runtime
    now = live.clock.now()
    rt.put_events(
        [
            deposit("eve", 1, (now + timedelta(seconds=2)).isoformat(), amount="60.00"),
            registered("eve", now.isoformat()),
        ]
    )
    rt.pump()
    # Then: both are held, shown by `engage player`, nothing decided or sent yet
    shown = "\n".join(describe_player(rt, "eve"))
    assert "held (reorder window): 2" in shown
    assert rt.players.ledger("eve") == []
    assert [o for o, _, _ in rt.players.outbox("eve") if o.effect.kind == "send"] == []
    # When: the window passes (the wake-up fires)
    rt.advance(timedelta(minutes=5))
    # Then: decided in event-time order: the deposit is the first, and earned points
    state = rt.players.state("eve")
    assert state is not None
    assert state.hold.events == []
    assert state.profile.deposit_count == 1
    assert state.points_balance > 0
    assert "first-deposit-thanks" in state.rule_fires
    assert "held (reorder window)" not in "\n".join(describe_player(rt, "eve"))
