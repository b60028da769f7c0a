"""The event lake's rows: what lands in the columnar files, and how a domain record becomes one.

Three kinds, each its own Hive-style table `type=<kind>/dt=YYYY-MM-DD/part-*.parquet`:

- `events`     every event that reached the engine (operator events, timer fires, message
               feedback, derived events), flattened, its detail kept as scrubbed JSON so a
               backtest can replay a player's events in event-time order (issue 14);
- `decisions`  what the engine committed: ledger lines, sends queued, suppressions, holdouts
               and other audit entries, one row each (a "rule fired" is a distinct
               (event_id, rule_id) over these rows);
- `deliveries` what dispatch did with a queued send (done, failed, suppressed).

`dt` is the UTC date of the row's event time (`occurred_at`), not of its arrival, so a report
or a backtest over a date range reads only that range's partitions, and a late event lands
where it belongs.

No row carries an email address, a phone number, a name, a birth date or a device token:
known contact fields are replaced by "redacted" (so a replay still knows an address was
given) and any other string that looks like one is redacted too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from shared.domain.core.state import AuditEntry, LedgerEntry, OutboxItem, SendMessage

LakeKind = Literal["events", "decisions", "deliveries"]
KINDS: tuple[LakeKind, ...] = ("events", "decisions", "deliveries")

# Column name -> SQL type, in file order. The local writer and the Glue tables are built from
# these, so the two lakes cannot drift apart. `dt` is the partition column, not stored in files.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "player_id": "VARCHAR",
    "detail_type": "VARCHAR",
    "source": "VARCHAR",
    "occurred_at": "TIMESTAMP",
    "amount": "DOUBLE",
    "currency": "VARCHAR",
    "detail": "VARCHAR",
}
DECISION_COLUMNS: dict[str, str] = {
    "row_id": "VARCHAR",
    "player_id": "VARCHAR",
    "event_id": "VARCHAR",
    "rule_id": "VARCHAR",
    "occurred_at": "TIMESTAMP",
    # ledger | send | suppression | held_out | bonus_granted | deferral | flag | exclusion | ...
    "action": "VARCHAR",
    "channel": "VARCHAR",
    "template": "VARCHAR",
    "category": "VARCHAR",
    "points": "BIGINT",
    # Spins granted (a `bonus_granted` audit row): the other bonus a campaign costs.
    "spins": "BIGINT",
    "reason": "VARCHAR",
    "variant": "VARCHAR",
    "would": "VARCHAR",
}
DELIVERY_COLUMNS: dict[str, str] = {
    "outbox_id": "VARCHAR",
    "player_id": "VARCHAR",
    "event_id": "VARCHAR",
    "rule_id": "VARCHAR",
    "occurred_at": "TIMESTAMP",
    "channel": "VARCHAR",
    "template": "VARCHAR",
    "status": "VARCHAR",
}
COLUMNS: dict[LakeKind, dict[str, str]] = {
    "events": EVENT_COLUMNS,
    "decisions": DECISION_COLUMNS,
    "deliveries": DELIVERY_COLUMNS,
}
PARTITION_COLUMN = "dt"

# Fields of the event contract that hold contact data or identify a person.
PII_KEYS = frozenset(
    {"email", "phone", "first_name", "last_name", "name", "birth_date", "device_token", "to"}
)
REDACTED = "redacted"
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# E.164 and the usual spaced/dashed national shapes ("+44 7700 900123", "0770-090-0123").
_PHONE = re.compile(r"\+\d[\d\s().-]{6,}\d|\b0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}\b")


def looks_like_pii(text: str) -> bool:
    """An email address or a phone number shape anywhere in `text`."""
    return bool(_EMAIL.search(text) or _PHONE.search(text))


def scrub(value: Any) -> Any:
    """`value` with contact fields and anything shaped like an email or phone redacted."""
    if isinstance(value, Mapping):
        # A flag under a contact key (`consents.email: true`) is no contact data: kept, so
        # a backtest knows the consent (docs/backtest.md).
        return {
            str(k): (
                REDACTED
                if str(k) in PII_KEYS and v is not None and not isinstance(v, bool)
                else scrub(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and looks_like_pii(value):
        return REDACTED
    return value


def _utc(moment: datetime) -> datetime:
    """Naive UTC, which is what Parquet TIMESTAMP columns hold on both engines."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def reason_code(reason: str) -> str:
    """The stable part of an audit reason, for grouping: "send x by email: no email consent"
    -> "no email consent"; "...: self-excluded until 2027-05-24T09:30:00+00:00" -> "self-excluded".
    """
    code = reason.rsplit(": ", 1)[-1]
    return code.split(" until ", 1)[0].strip()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return REDACTED if looks_like_pii(text) else text


@dataclass(frozen=True)
class EventRow:
    event_id: str
    player_id: str
    detail_type: str
    source: str
    occurred_at: datetime
    amount: float | None
    currency: str | None
    detail: str

    kind: Literal["events"] = "events"


@dataclass(frozen=True)
class DecisionRow:
    row_id: str
    player_id: str
    event_id: str
    rule_id: str | None
    occurred_at: datetime
    action: str
    channel: str | None = None
    template: str | None = None
    category: str | None = None
    points: int | None = None
    spins: int | None = None
    reason: str | None = None
    variant: str | None = None
    would: str | None = None

    kind: Literal["decisions"] = "decisions"


@dataclass(frozen=True)
class DeliveryRow:
    outbox_id: str
    player_id: str
    event_id: str
    rule_id: str
    occurred_at: datetime
    channel: str
    template: str
    status: str

    kind: Literal["deliveries"] = "deliveries"


LakeRow = EventRow | DecisionRow | DeliveryRow


def record(row: LakeRow) -> dict[str, Any]:
    """The row as a flat record: its columns plus the `dt` partition value."""
    values = asdict(row)
    values.pop("kind")
    values[PARTITION_COLUMN] = row.occurred_at.date().isoformat()
    return values


def event_row(envelope: Mapping[str, Any]) -> EventRow:
    """An EventBridge envelope (as the engine queue receives it) -> an events row."""
    detail = envelope.get("detail") or {}
    occurred = datetime.fromisoformat(str(detail["occurred_at"]).replace("Z", "+00:00"))
    amount = detail.get("amount")
    return EventRow(
        event_id=str(detail["event_id"]),
        player_id=str(detail["player_id"]),
        detail_type=str(envelope["detail-type"]),
        source=str(envelope.get("source", "")),
        occurred_at=_utc(occurred),
        amount=float(amount) if isinstance(amount, int | float | str) and amount != "" else None,
        currency=_text(detail.get("currency")),
        detail=json.dumps(scrub(detail), sort_keys=True, separators=(",", ":"), default=str),
    )


def ledger_row(entry: LedgerEntry) -> DecisionRow:
    return DecisionRow(
        row_id=f"ledger:{entry.entry_id}",
        player_id=entry.player_id,
        event_id=entry.event_id,
        rule_id=entry.rule_id,
        occurred_at=_utc(entry.occurred_at),
        action="ledger",
        category=entry.kind,
        points=entry.points,
        reason=_text(entry.reason),
        variant=getattr(entry, "variant", None),
    )


def outbox_row(item: OutboxItem) -> DecisionRow | None:
    """A queued send as a decisions row; timers and derived events are not lake rows."""
    effect = item.effect
    if not isinstance(effect, SendMessage):
        return None
    return DecisionRow(
        row_id=f"send:{item.outbox_id}",
        player_id=item.player_id,
        event_id=item.event_id,
        rule_id=item.rule_id,
        occurred_at=_utc(item.created_at),
        action="send",
        channel=effect.channel,
        template=effect.template,
        category=effect.category,
        variant=getattr(item, "variant", None),
    )


def audit_row(entry: AuditEntry) -> DecisionRow:
    """A suppression, holdout, deferral, flag or exclusion; `reason` is kept short and clean."""
    return DecisionRow(
        row_id=f"audit:{entry.audit_id}",
        player_id=entry.player_id,
        event_id=entry.event_id,
        rule_id=entry.rule_id,
        occurred_at=_utc(entry.occurred_at),
        action=entry.category,
        spins=int(entry.inputs["spins"]) if entry.inputs.get("spins", "").isdigit() else None,
        reason=_text(reason_code(entry.reason)),
        variant=_text(entry.inputs.get("variant")),
        would=_text(entry.inputs.get("would")),
    )


def delivery_row(item: OutboxItem, status: str, at: datetime) -> DeliveryRow | None:
    """What dispatch did with a queued send, at `at` (when dispatch marked it)."""
    effect = item.effect
    if not isinstance(effect, SendMessage):
        return None
    return DeliveryRow(
        outbox_id=item.outbox_id,
        player_id=item.player_id,
        event_id=item.event_id,
        rule_id=item.rule_id,
        occurred_at=_utc(at),
        channel=effect.channel,
        template=effect.template,
        status=status,
    )
