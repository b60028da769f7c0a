"""What engine and dispatch count, through the real handlers, read from the recorder the
local runtime injects (in Lambda the same calls go to Powertools Metrics)."""

from datetime import timedelta

from functions.engine.handler import handler as engine_handler
from shared.local.lambda_context import LambdaContext
from shared.metric_names import (
    CHANNEL,
    DECISION_LATENCY,
    EVENTS_APPLIED,
    EVENTS_DUPLICATE,
    EVENTS_REFUSED,
    MESSAGES_FAILED,
    MESSAGES_SENT,
    MESSAGES_SUPPRESSED,
    REASON,
    SUPPRESSED_RG,
    TIMERS_ARMED,
    TIMERS_CANCELLED,
    TIMERS_FIRED,
)
from tests.e2e.test_invariants import deposit, registered, sqs_event
from tests.e2e.test_responsible_gaming import excluded


def test_a_registration_counts_its_events_a_sent_welcome_and_its_armed_timers(started):
    rt = started.runtime
    rt.put_events([registered("p-m1")])
    rt.pump()
    m = rt.metrics
    # The registration, and the engage.lifecycle.changed it publishes back onto the bus.
    assert m.total(EVENTS_APPLIED) == 2
    assert m.counts[(MESSAGES_SENT, (CHANNEL, "email"))] == 1
    assert m.total(TIMERS_ARMED) == 2  # the no-deposit nudge and the lifecycle timer
    assert m.total(MESSAGES_FAILED) == 0
    assert len(m.latencies[DECISION_LATENCY]) == 2  # one per player batch decided


def test_a_redelivered_event_counts_as_duplicate_and_a_forged_one_as_refused(started):
    rt = started.runtime
    rt.put_events([registered("p-m2")])
    rt.pump()
    applied = rt.metrics.total(EVENTS_APPLIED)
    engine_handler(sqs_event(registered("p-m2")), LambdaContext("engine"))
    forged = {**deposit("p-m2", "dep-forged"), "source": "engage.engine"}
    engine_handler(sqs_event(forged), LambdaContext("engine"))
    assert rt.metrics.total(EVENTS_APPLIED) == applied
    assert rt.metrics.total(EVENTS_DUPLICATE) == 1
    assert rt.metrics.total(EVENTS_REFUSED) == 1


def test_an_exclusion_cancels_the_nudge_timer_and_no_fired_timer_sends_marketing(started):
    rt = started.runtime
    rt.put_events([registered("p-m3")])
    rt.pump()
    rt.put_events([excluded("p-m3", at="2026-11-24T10:00:00+00:00")])
    rt.pump()
    assert rt.metrics.total(TIMERS_CANCELLED) == 1  # the nudge; the lifecycle timer stays
    rt.advance(timedelta(days=4))
    assert rt.metrics.total(MESSAGES_SENT) == 1  # the welcome only


def test_a_due_timer_counts_as_fired_and_its_nudge_as_sent(started):
    rt = started.runtime
    rt.put_events([registered("p-m4")])
    rt.pump()
    rt.advance(timedelta(days=4))
    assert rt.metrics.total(TIMERS_FIRED) == 1
    assert rt.metrics.total(MESSAGES_SENT) == 2  # welcome, then the no-deposit nudge


def test_a_message_blocked_at_send_time_by_an_exclusion_counts_under_its_reason_code(started):
    rt = started.runtime
    rt.put_events([registered("p-m5")])
    rt.pump()
    timer = rt.players.state("p-m5").timers["no-deposit-3d"]
    fire = {
        "source": "engage.scheduler",
        "detail-type": "engage.timer.fired",
        "detail": {
            "player_id": "p-m5",
            "event_id": "t-1",
            "occurred_at": timer.due_at.isoformat(),
            "timer": "no-deposit-3d",
            "rule_id": timer.rule_id,
            "generation": timer.generation,
        },
    }
    started.clock.set(timer.due_at)
    engine_handler(sqs_event(fire), LambdaContext("engine"))
    engine_handler(sqs_event(excluded("p-m5", at=timer.due_at.isoformat())), LambdaContext("e"))
    rt.pump()
    assert rt.metrics.counts[(MESSAGES_SUPPRESSED, (REASON, SUPPRESSED_RG))] == 1
    assert {d for (name, d) in rt.metrics.counts if name == MESSAGES_SUPPRESSED} == {
        (REASON, SUPPRESSED_RG)
    }
