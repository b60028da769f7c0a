"""Responsible gaming through the real handlers: the gate at decision and at send time,
exclusions cancelling offer timers, loud malformed RG events, alerts to compliance."""

import json
from datetime import timedelta

from functions.engine.handler import handler as engine_handler
from shared.local.embedded import sent_emails
from shared.local.lambda_context import LambdaContext
from tests.e2e.test_invariants import deposit, registered, sqs_event

T = "2026-11-24T09:00:00+00:00"


def excluded(player, event_id="se-1", at=T, **extra):
    detail = {"player_id": player, "event_id": event_id, "occurred_at": at, **extra}
    return {"source": "casino.example", "detail-type": "rg.self_excluded", "detail": detail}


def compliance_alerts(stack):
    sqs = stack.runtime.clients.client("sqs")
    resp = sqs.receive_message(
        QueueUrl=stack.resources.compliance_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


def schedules(stack):
    """Pending marketing schedules (the lifecycle timer is bookkeeping and stays)."""
    return [
        name
        for _, name, _ in stack.runtime.pending_schedules()
        if not name.startswith("lifecycle-")
    ]


def test_a_self_exclusion_cancels_the_pending_marketing_nudge_and_is_audited(started):
    rt = started.runtime
    rt.put_events([registered("p-rg1")])
    rt.pump()
    assert len(schedules(started)) == 1
    rt.put_events([excluded("p-rg1", at="2026-11-24T10:00:00+00:00")])
    rt.pump()
    assert schedules(started) == []
    rt.advance(timedelta(days=4))
    templates = [
        i.effect.template for i, _, _ in rt.players.outbox("p-rg1") if i.effect.kind == "send"
    ]
    assert templates == ["welcome"]  # the service welcome went out; the nudge never did
    categories = sorted(a.category for a in rt.players.audit("p-rg1"))
    assert categories == ["exclusion", "timer_cancelled"]


def test_an_exclusion_that_lands_between_decision_and_delivery_still_stops_the_email(started):
    rt = started.runtime
    rt.put_events([registered("p-rg2")])
    rt.pump()
    state = rt.players.state("p-rg2")
    timer = state.timers["no-deposit-3d"]
    fire = {
        "source": "engage.scheduler",
        "detail-type": "engage.timer.fired",
        "detail": {
            "player_id": "p-rg2",
            "event_id": "t-1",
            "occurred_at": timer.due_at.isoformat(),
            "timer": "no-deposit-3d",
            "rule_id": timer.rule_id,
            "generation": timer.generation,
        },
    }
    # The engine decides the marketing nudge, and the exclusion is committed right after,
    # before dispatch has read the stream.
    started.clock.set(timer.due_at)
    engine_handler(sqs_event(fire), LambdaContext("engine"))
    engine_handler(
        sqs_event(excluded("p-rg2", at=timer.due_at.isoformat())), LambdaContext("engine")
    )
    before = len(sent_emails(started))
    rt.pump()
    assert len(sent_emails(started)) == before
    statuses = {
        i.effect.template: (s, r)
        for i, s, r in rt.players.outbox("p-rg2")
        if i.effect.kind == "send"
    }
    assert statuses["deposit-nudge"][0] == "suppressed"
    assert "self-excluded" in statuses["deposit-nudge"][1]
    assert any(
        a.stage == "dispatch" and a.category == "suppression" for a in rt.players.audit("p-rg2")
    )


def test_a_malformed_self_exclusion_is_applied_conservatively_alerted_and_kept(started):
    rt = started.runtime
    rt.put_events([registered("p-rg3")])
    rt.pump()
    rt.put_events([excluded("p-rg3", until="next tuesday")])
    rt.pump()
    state = rt.players.state("p-rg3")
    assert [e.until for e in state.rg.exclusions] == [None]  # indefinite until corrected
    assert "no-deposit-3d" not in state.timers
    (alert,) = compliance_alerts(started)
    assert alert["flag"] == "malformed_rg_event"
    assert alert["player_id"] == "p-rg3"
    assert "until" in alert["reason"]
    letters = rt.dead_letters()
    assert len(letters) == 1
    assert "until" in letters[0]["reason"]
    assert "rg_event_refused" in {a.category for a in rt.players.audit("p-rg3")}


def test_the_corrected_exclusion_replaces_the_salvaged_one(started):
    rt = started.runtime
    rt.put_events([excluded("p-rg4", until="soon")])
    rt.pump()
    rt.put_events([excluded("p-rg4", until="2026-11-25T09:00:00+00:00")])
    rt.pump()
    (exclusion,) = rt.players.state("p-rg4").rg.exclusions
    assert exclusion.until.isoformat() == "2026-11-25T09:00:00+00:00"


def test_a_malformed_rg_event_without_a_readable_player_is_still_alerted(started):
    rt = started.runtime
    rt.put_events(
        [
            {
                "source": "casino.example",
                "detail-type": "rg.cool_off_started",
                "detail": {"player_id": "", "event_id": "x", "occurred_at": T},
            }
        ]
    )
    rt.pump()
    (alert,) = compliance_alerts(started)
    assert alert["player_id"] == "(unreadable)"
    assert alert["action"] == "parked in the DLQ: fix and resend"


def test_a_behavioural_flag_alerts_compliance_and_reaches_the_bus_once(started):
    rt = started.runtime
    rt.put_events(
        [deposit("p-rg5", f"dep-{h}", at=f"2026-11-24T{9 + h:02d}:00:00+00:00") for h in range(6)]
    )
    rt.pump()
    alerts = compliance_alerts(started)
    assert [a["flag"] for a in alerts] == ["deposit_frequency"]
    assert alerts[0]["player_id"] == "p-rg5"
    # Points stop at the flag: 4 deposits earned points, the 5th and 6th did not.
    assert rt.players.state("p-rg5").points_balance == 80
    # The alert came back through the bus as an rg.alert event the engine accepted.
    assert rt.dead_letters() == []
