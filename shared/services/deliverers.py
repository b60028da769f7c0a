"""One deliverer per channel: the last step of a send, after gates, caps and rendering.

Dispatch picks the deliverer by the message's channel. A channel is added by writing a
deliverer and registering it in the wiring; dispatch itself does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.domain.state import InboxMessage, OutboxItem, SendMessage

INBOX_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class PermanentDeliveryError(Exception):
    """The channel refused the message for a reason a retry will not fix."""


class Deliverer(Protocol):
    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        """Deliver once; return a short result (ids, never addresses). Raise to retry."""
        ...


class EmailPort(Protocol):
    def send(
        self, to: str, subject: str, text: str, html: str | None, tags: dict[str, str]
    ) -> str: ...


class EmailDeliverer:
    def __init__(self, email: EmailPort) -> None:
        self._email = email

    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        if effect.to is None:
            raise PermanentDeliveryError("no address")
        message_id = self._email.send(
            effect.to,
            rendered.subject,
            rendered.text,
            rendered.html,
            {
                "template": effect.template,
                "rule": item.rule_id,
                "category": effect.category,
                # Lets delivery feedback (opens, bounces) find the player and the message.
                "player": item.player_id,
                "outbox": item.outbox_id,
            },
        )
        return f"sent as {message_id}"


class InboxPort(Protocol):
    def put_inbox(self, message: InboxMessage) -> None: ...


class InboxDeliverer:
    def __init__(self, inbox: InboxPort) -> None:
        self._inbox = inbox

    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        self._inbox.put_inbox(
            InboxMessage(
                message_id=item.outbox_id,
                player_id=item.player_id,
                template=effect.template,
                category=effect.category,
                subject=rendered.subject,
                text=rendered.text,
                delivered_at=now,
                expires_at=now + INBOX_RETENTION,
            )
        )
        return "delivered"
