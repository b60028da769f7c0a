"""The global control group through the real handlers with the starter config: a member
gets the service welcome and the base earn, but neither the 3-day nudge (a timer) nor the
first-deposit thanks; what they would have received is stored as held_out entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from shared.domain.measurement.experiments import ExperimentSettings
from shared.local.embedded import sent_emails
from tests.e2e.test_invariants import deposit, registered

CONTROL = ExperimentSettings(control_group_percent=Decimal(50))


def _player(inside: bool) -> str:
    return next(p for p in (f"cg-{i}" for i in range(100)) if CONTROL.in_control_group(p) == inside)


def test_a_control_group_member_gets_no_marketing_but_service_mail_and_base_points(started):
    rt = started.runtime
    rt.config.put_game(
        "experiments", CONTROL.model_dump(mode="json"), actor="t", now=started.clock.now()
    )
    rt.config.publish()
    member, other = _player(True), _player(False)

    rt.put_events([registered(member), registered(other)])
    rt.pump()
    rt.advance(timedelta(days=4))
    rt.put_events([deposit(member, "d1"), deposit(other, "d1")])
    rt.pump()

    subjects = {
        p: sorted(m["subject"] for m in sent_emails(started) if m["to"] == [f"{p}@example.org"])
        for p in (member, other)
    }
    assert len(subjects[member]) == 1
    assert subjects[member][0].startswith("Welcome")
    assert len(subjects[other]) == 3  # welcome, the nudge, the first-deposit thanks
    assert rt.players.state(member).points_balance == rt.players.state(other).points_balance == 20
    held = sorted(
        (a.rule_id, a.inputs["would"])
        for a in rt.players.audit(member)
        if a.category == "held_out" and a.reason == "control_group"
    )
    assert ("first-deposit-thanks", "send:first-deposit:email") in held
    assert any(rule == "no-deposit-nudge" for rule, _ in held)
    assert not [a for a in rt.players.audit(other) if a.category == "held_out"]
