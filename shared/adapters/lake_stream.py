"""Player-table stream records -> lake rows (decisions and delivery outcomes).

The stream is the durable record of what the engine committed: an audit entry or an outbox
item appears in it once per INSERT, and dispatch's status update of an outbox item appears
as a MODIFY. Ledger lines are booked into the state item's tail (ledger_tail.py): a state
record whose commit booked some says so (`ln`), and those lines are read from its image.
The pages the tail moves out later are not new lines and make no rows; an item of the
one-line-per-item format from before the tail still does. Both the local runtime and the
AWS lake function read the stream this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.adapters.ledger_tail import PAGE_PREFIX
from shared.adapters.player_store import AUDIT_PREFIX, LEDGER_PREFIX, STATE_SK, booked_lines
from shared.domain.core.state import AuditEntry, LedgerEntry, OutboxItem
from shared.domain.outputs.lake import LakeRow, audit_row, delivery_row, ledger_row, outbox_row

OUTBOX_PREFIX = "OUTBOX#"
# The statuses dispatch ends an outbox item with; "pending" is the INSERT itself.
FINAL_STATUSES = frozenset({"done", "failed", "suppressed"})


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return value.get("S") if isinstance(value, Mapping) else None


def _when(record: Mapping[str, Any]) -> datetime | None:
    # boto3 parses ApproximateCreationDateTime into a datetime; a Lambda event has epoch seconds.
    raw = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw, UTC)
    return None


def rows_from_record(record: Mapping[str, Any]) -> list[LakeRow]:
    """The lake rows one stream record stands for (none for state, markers, inbox, ...)."""
    image = record.get("dynamodb", {}).get("NewImage")
    if not image:
        return []
    sk = _string(image, "sk") or ""
    event = record.get("eventName")
    if sk == STATE_SK:
        return [ledger_row(line) for line in booked_lines(image)]
    if event == "INSERT" and sk.startswith(PAGE_PREFIX):
        return []
    if event == "INSERT" and sk.startswith(LEDGER_PREFIX):
        return [ledger_row(LedgerEntry.model_validate_json(_string(image, "entry") or "{}"))]
    if event == "INSERT" and sk.startswith(AUDIT_PREFIX):
        return [audit_row(AuditEntry.model_validate_json(_string(image, "entry") or "{}"))]
    if not sk.startswith(OUTBOX_PREFIX):
        return []
    item = OutboxItem.model_validate_json(_string(image, "item") or "{}")
    status = _string(image, "status")
    if event == "INSERT":
        row = outbox_row(item)
        return [row] if row else []
    if event == "MODIFY" and status in FINAL_STATUSES:
        delivery = delivery_row(item, status, _when(record) or item.created_at)
        return [delivery] if delivery else []
    return []


def rows_from_records(records: Iterable[Mapping[str, Any]]) -> list[LakeRow]:
    return [row for record in records for row in rows_from_record(record)]
