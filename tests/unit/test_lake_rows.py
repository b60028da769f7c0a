"""Lake rows: what a domain record becomes, and that no contact data survives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shared.domain.core.state import AuditEntry, LedgerEntry, OutboxItem, ScheduleTimer, SendMessage
from shared.domain.outputs.lake import (
    REDACTED,
    audit_row,
    event_row,
    ledger_row,
    looks_like_pii,
    outbox_row,
    reason_code,
    record,
)

AT = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)


def _registered(**extra: object) -> dict[str, object]:
    return {
        "source": "casino.example",
        "detail-type": "player.registered",
        "detail": {
            "player_id": "p-1",
            "event_id": "reg-1",
            "occurred_at": "2026-11-28T01:30:00+02:00",
            "email": "anna@example.org",
            "phone": "+447700900123",
            "first_name": "Anna",
            **extra,
        },
    }


def test_an_event_row_redacts_contact_fields_but_keeps_that_they_were_given():
    row = event_row(_registered())

    detail = json.loads(row.detail)
    assert detail["email"] == REDACTED
    assert detail["phone"] == REDACTED
    assert detail["first_name"] == REDACTED
    assert not looks_like_pii(row.detail)


def test_an_email_in_a_field_that_is_not_a_contact_field_is_redacted_too():
    row = event_row(_registered(note="write to ben@example.org"))

    assert json.loads(row.detail)["note"] == REDACTED


def test_an_event_is_partitioned_by_the_utc_date_of_its_event_time():
    row = event_row(_registered())

    assert row.occurred_at == datetime(2026, 11, 27, 23, 30)
    assert record(row)["dt"] == "2026-11-27"


def test_an_event_amount_becomes_the_amount_column():
    envelope = {
        "source": "casino.example",
        "detail-type": "wallet.deposit_succeeded",
        "detail": {
            "player_id": "p-1",
            "event_id": "dep-1",
            "occurred_at": "2026-11-27T10:00:00Z",
            "deposit_id": "d1",
            "amount": 25.5,
            "currency": "EUR",
        },
    }

    row = event_row(envelope)

    assert (row.amount, row.currency) == (25.5, "EUR")


def test_a_queued_send_becomes_a_send_row_without_its_address():
    item = OutboxItem(
        outbox_id="o1",
        player_id="p-1",
        event_id="e1",
        rule_id="welcome",
        created_at=AT,
        effect=SendMessage(
            template="welcome",
            channel="email",
            category="marketing",
            locale="en",
            to="anna@example.org",
            vars={"first_name": "Anna"},
        ),
    )

    row = outbox_row(item)

    assert row is not None
    assert (row.action, row.channel, row.template, row.rule_id) == (
        "send",
        "email",
        "welcome",
        "welcome",
    )
    assert not any(looks_like_pii(str(v)) for v in record(row).values())
    assert "Anna" not in str(record(row))


def test_a_timer_effect_is_not_a_lake_row():
    item = OutboxItem(
        outbox_id="o2",
        player_id="p-1",
        event_id="e1",
        rule_id="nudge",
        created_at=AT,
        effect=ScheduleTimer(
            timer="nudge",
            rule_id="nudge",
            schedule_name="nudge.abc",
            due_at=AT,
            fire_at=AT,
            generation=1,
        ),
    )

    assert outbox_row(item) is None


def test_a_ledger_line_keeps_its_signed_points_and_kind():
    entry = LedgerEntry(
        entry_id="l1",
        player_id="p-1",
        kind="spend",
        points=-30,
        balance_after=70,
        rule_id="store",
        event_id="e1",
        occurred_at=AT,
        reason="bought spins",
    )

    row = ledger_row(entry)

    assert (row.action, row.category, row.points) == ("ledger", "spend", -30)


def test_a_holdout_audit_entry_keeps_what_the_player_would_have_received():
    entry = AuditEntry(
        audit_id="a1",
        player_id="p-1",
        occurred_at=AT,
        category="suppression",
        stage="decision",
        reason="control_group",
        inputs={"would": "send:welcome:email", "variant": "B"},
        event_id="e1",
        rule_id="welcome",
        retain_until=AT,
    )

    row = audit_row(entry)

    assert (row.reason, row.would, row.variant) == ("control_group", "send:welcome:email", "B")


def test_a_reason_code_drops_the_action_prefix_and_the_end_date():
    reason = "send first-deposit by email: self-excluded until 2027-05-24T09:30:00+00:00"

    assert reason_code(reason) == "self-excluded"
