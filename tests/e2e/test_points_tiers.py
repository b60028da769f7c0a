"""Points and tiers through the real handlers with the starter config: a tier-up is
celebrated once (the derived event comes back through the bus), a chargeback claws points
back, replays change nothing, and points lapse by the player's own expiry timer."""

from __future__ import annotations

import json
from datetime import timedelta

from shared.adapters.state_codec import STATE_ATTRIBUTE, TAIL_KEY, decode_state_json
from shared.local.embedded import sent_emails
from tests.e2e.test_invariants import deposit, env, registered
from tests.e2e.test_segments_lifecycle import published

T = "2026-11-24T09:00:00+00:00"


def test_reaching_gold_is_celebrated_once_by_email_and_inbox_even_when_replayed(started):
    rt = started.runtime
    events = [registered("p-g1"), deposit("p-g1", "big", amount="2500.00")]

    rt.put_events(events)
    rt.pump()
    rt.put_events(events)  # at-least-once delivery
    rt.pump()

    state = rt.players.state("p-g1")
    assert state.tier.tier == "gold"
    assert state.points_balance == 2500
    changes = published(started, "p-g1", "engage.tier.changed")
    assert [(c["tier"], c["direction"]) for c in changes] == [("gold", "up")]
    assert [e["subject"] for e in sent_emails(started) if "reached" in e["subject"]] == [
        "You reached gold!"
    ]
    assert [m.subject for m in rt.players.inbox("p-g1")] == ["New status: gold"]
    assert state.badges.keys() == {"first-deposit"}
    assert rt.dead_letters() == []


def test_a_chargeback_claws_back_the_deposit_points_once(started):
    rt = started.runtime
    rt.put_events([registered("p-c1"), deposit("p-c1", "d1", amount="300.00")])
    rt.pump()
    reversal = env(
        "wallet.deposit_reversed",
        player_id="p-c1",
        event_id="d1-chargeback",
        occurred_at="2026-11-24T12:00:00+00:00",
        deposit_id="d-d1",
        reason="chargeback",
    )

    rt.put_events([reversal, reversal])
    rt.pump()

    ledger = rt.players.ledger("p-c1")
    assert [(line.kind, line.points) for line in ledger] == [("earn", 300), ("reverse", -300)]
    assert rt.players.state("p-c1").points_balance == 0
    assert sum(line.points for line in ledger) == 0


def test_points_lapse_at_month_end_a_year_on_by_the_players_expiry_timer(started):
    rt = started.runtime
    later = "2026-11-24T09:01:00+00:00"  # after the registration that sets the time zone
    rt.put_events([registered("p-x1"), deposit("p-x1", "d1", amount="40.00", at=later)])
    rt.pump()
    due = rt.players.state("p-x1").timers["points.expiry"].due_at
    # Starter policy: end of the month 12 months after the earn, in Kyiv time.
    assert due.isoformat() == "2027-11-30T22:00:00+00:00"

    rt.advance(due - started.clock.now() + timedelta(minutes=5))

    ledger = rt.players.ledger("p-x1")
    assert [(line.kind, line.points, line.balance_after) for line in ledger] == [
        ("earn", 40, 40),
        ("expire", -40, 0),
    ]
    assert "points.expiry" not in rt.players.state("p-x1").timers


def test_a_deposit_and_its_reversal_in_one_batch_leave_no_reversible_record(started):
    rt = started.runtime
    reversal = env(
        "wallet.deposit_reversed",
        player_id="p-c2",
        event_id="d2-refund",
        occurred_at="2026-11-24T09:30:00+00:00",
        deposit_id="d-d2",
        reason="refund",
    )

    rt.put_events([registered("p-c2"), deposit("p-c2", "d2", amount="50.00"), reversal])
    rt.pump()

    assert [(line.kind, line.points) for line in rt.players.ledger("p-c2")] == [
        ("earn", 50),
        ("reverse", -50),
    ]
    assert rt.players.items("p-c2", "REV#") == []
    assert rt.dead_letters() == []


def test_a_reversal_in_a_later_batch_finds_the_earn_and_removes_its_record(started):
    rt = started.runtime
    rt.put_events([registered("p-c3"), deposit("p-c3", "d3", amount="70.00")])
    rt.pump()
    assert len(rt.players.items("p-c3", "REV#deposit:d-d3#")) == 1
    # The state itself carries no reversible earns (its ledger tail has the earn's line).
    [state_item] = rt.players.items("p-c3", "STATE")
    stored = json.loads(decode_state_json(bytes(state_item[STATE_ATTRIBUTE]["B"])))
    assert stored.pop(TAIL_KEY)["lines"]
    assert "reversible" not in json.dumps(stored)

    rt.put_events(
        [
            env(
                "wallet.deposit_reversed",
                player_id="p-c3",
                event_id="d3-cb",
                occurred_at="2026-11-25T09:00:00+00:00",
                deposit_id="d-d3",
            )
        ]
    )
    rt.pump()

    assert rt.players.state("p-c3").points_balance == 0
    assert rt.players.items("p-c3", "REV#") == []


def test_the_profile_complete_badge_waits_for_a_birth_date_and_a_phone(started):
    rt = started.runtime
    rt.put_events([registered("p-b1")])
    rt.pump()
    assert rt.players.state("p-b1").badges == {}

    rt.put_events(
        [
            env(
                "player.profile_updated",
                player_id="p-b1",
                event_id="upd-1",
                occurred_at="2026-11-24T10:00:00+00:00",
                phone="+380501234567",
                birth_date="1990-05-17",
            )
        ]
    )
    rt.pump()

    assert set(rt.players.state("p-b1").badges) == {"profile-complete"}
