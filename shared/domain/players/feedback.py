"""SES delivery feedback -> our `engage.message.*` events (pure).

SES publishes sending events of a configuration set to the account's *default* EventBridge
bus (source `aws.ses`, detail-types such as "Email Opened"); the detail is the same record
SES sends to SNS: `eventType`, `mail` (with our message tags) and one object per type
(`bounce`, `open`, ...). Only messages we tagged with player, outbox and template are ours:
anything else (another application's mail through the same account) is skipped, and the
caller counts it.

The event id is the SES message id plus the kind of feedback, so SES redelivering the same
notification (it is at-least-once) is applied once by the engine's de-duplication.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from events.models import (
    FEEDBACK_SOURCE,
    EventDetail,
    MessageBounced,
    MessageClicked,
    MessageComplained,
    MessageDelivered,
    MessageOpened,
)

SES_SOURCE = "aws.ses"
# SES eventType -> (our model, the key of the per-type object holding its timestamp).
_KINDS: dict[str, tuple[type[EventDetail], str]] = {
    "Delivery": (MessageDelivered, "delivery"),
    "Open": (MessageOpened, "open"),
    "Click": (MessageClicked, "click"),
    "Bounce": (MessageBounced, "bounce"),
    "Complaint": (MessageComplained, "complaint"),
}
SES_DETAIL_TYPES = (
    "Email Delivered",
    "Email Opened",
    "Email Clicked",
    "Email Bounced",
    "Email Complaint Received",
)
"""The EventBridge detail-types the feedback rule forwards (what `_KINDS` translates)."""

# Tag names EmailDeliverer sets on every message.
PLAYER_TAG, OUTBOX_TAG, TEMPLATE_TAG = "player", "outbox", "template"

# SES tag values allow only [A-Za-z0-9_-]; player ids may also hold '.' and ':'. '_' is the
# escape character, so the encoding is reversible: "p.1_0" <-> "p_2e1_5f0".
_TAG_PLAIN = re.compile(r"[A-Za-z0-9-]")
_TAG_ESCAPE = re.compile(r"_([0-9a-f]{2})")
MAX_TAG_VALUE = 256


def encode_tag(value: str) -> str | None:
    """A tag value SES accepts that decodes back to `value` (None if it would be too long)."""
    out = "".join(c if _TAG_PLAIN.match(c) else f"_{ord(c):02x}" for c in value)
    if any(ord(c) > 0x7E for c in value) or len(out) > MAX_TAG_VALUE:
        return None
    return out


def decode_tag(value: str) -> str:
    return _TAG_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


@dataclass(frozen=True)
class Translated:
    """One of our events, ready for PutEvents (source, detail-type, detail)."""

    source: str
    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    """Not translated, and why (counted by the caller; never carries addresses)."""

    reason: str


def _tag(tags: Any, name: str) -> str | None:
    values = tags.get(name) if isinstance(tags, dict) else None
    if isinstance(values, list) and values and isinstance(values[0], str) and values[0]:
        return values[0]
    return None


def _without_query(link: str) -> str:
    # Query strings and fragments carry tracking ids, tokens and sometimes addresses.
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:2048]


def translate(envelope: dict[str, Any]) -> Translated | Skipped:
    """Our message event for one SES EventBridge event, or why there is none."""
    if envelope.get("source") != SES_SOURCE:
        return Skipped("not from SES")
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        return Skipped("no detail")
    event_type = detail.get("eventType")
    kind = _KINDS.get(str(event_type))
    if kind is None:
        return Skipped(f"event type {event_type!r} is not translated")
    model, key = kind
    mail = detail.get("mail")
    if not isinstance(mail, dict) or not isinstance(mail.get("messageId"), str):
        return Skipped("no mail.messageId")
    tags = mail.get("tags")
    player_tag, outbox, template = (_tag(tags, n) for n in (PLAYER_TAG, OUTBOX_TAG, TEMPLATE_TAG))
    if player_tag is None or outbox is None or template is None:
        return Skipped("not our message (no player/outbox/template tags)")
    found = detail.get(key)
    specific: dict[str, Any] = found if isinstance(found, dict) else {}
    occurred_at = specific.get("timestamp") or mail.get("timestamp") or envelope.get("time")
    suffix = key
    fields: dict[str, Any] = {}
    if model is MessageBounced:
        # "Undetermined" is not proof the address is gone: treated as transient, so it
        # never switches consent off on its own.
        permanent = specific.get("bounceType") == "Permanent"
        fields["bounce_type"] = "permanent" if permanent else "transient"
    if model is MessageClicked and isinstance(specific.get("link"), str):
        fields["link"] = _without_query(specific["link"])
        # One event per distinct link; the same link clicked again is the same event.
        suffix += "-" + hashlib.sha256(fields["link"].encode()).hexdigest()[:12]
    raw = {
        "player_id": decode_tag(player_tag),
        "event_id": f"ses:{mail['messageId']}:{suffix}"[:256],
        "occurred_at": occurred_at,
        "outbox_id": outbox,
        "template": template,
        "channel": "email",
        **fields,
    }
    try:
        event = model.model_validate(raw)
    except ValidationError as exc:
        fields_wrong = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        return Skipped(f"breaks the contract: {', '.join(fields_wrong) or 'detail'}")
    return Translated(
        source=FEEDBACK_SOURCE,
        detail_type=model.detail_type,
        detail=event.model_dump(mode="json"),
    )
