"""SES feedback as SES would publish it to EventBridge (moto's SES never produces any).

The local runtime and tests use this to play SES's part: an "Email Opened" or "Email Bounced"
event for a message dispatch sent, with the tags dispatch gave it, handed to the real
feedback handler.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.domain.players.feedback import OUTBOX_TAG, PLAYER_TAG, TEMPLATE_TAG, encode_tag

KINDS = {
    # kind -> (EventBridge detail-type, SES eventType, key of the per-type object)
    "delivery": ("Email Delivered", "Delivery", "delivery"),
    "open": ("Email Opened", "Open", "open"),
    "click": ("Email Clicked", "Click", "click"),
    "bounce": ("Email Bounced", "Bounce", "bounce"),
    "soft-bounce": ("Email Bounced", "Bounce", "bounce"),
    "complaint": ("Email Complaint Received", "Complaint", "complaint"),
}
RECIPIENT = "recipient@example.invalid"  # SES includes addresses; ours is a placeholder


def ses_event(
    kind: str,
    *,
    message_id: str,
    player_id: str,
    outbox_id: str,
    template: str,
    at: datetime,
    link: str = "https://casino.example/promo?utm_source=email",
    region: str = "eu-west-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """One SES sending event on the default bus, shaped like the real thing."""
    detail_type, event_type, key = KINDS[kind]
    stamp = at.isoformat().replace("+00:00", "Z")
    specific: dict[str, Any] = {"timestamp": stamp}
    if kind in ("bounce", "soft-bounce"):
        specific |= {
            "bounceType": "Permanent" if kind == "bounce" else "Transient",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": RECIPIENT}],
            "feedbackId": f"fb-{uuid.uuid4()}",
        }
    elif kind == "complaint":
        specific |= {"complainedRecipients": [{"emailAddress": RECIPIENT}], "feedbackId": "x"}
    elif kind == "click":
        specific |= {"link": link, "ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0"}
    elif kind == "open":
        specific |= {"ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0"}
    elif kind == "delivery":
        specific |= {"recipients": [RECIPIENT], "smtpResponse": "250 ok"}
    tags = {
        OUTBOX_TAG: [outbox_id],
        TEMPLATE_TAG: [template],
        "ses:configuration-set": ["engage-local"],
    }
    player_tag = encode_tag(player_id)
    if player_tag is not None:
        tags[PLAYER_TAG] = [player_tag]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": account,
        "time": stamp,
        "region": region,
        "resources": [],
        "detail": {
            "eventType": event_type,
            "mail": {
                "timestamp": stamp,
                "messageId": message_id,
                "destination": [RECIPIENT],
                "tags": tags,
            },
            key: specific,
        },
    }
