"""One deliverer per channel: the last step of a send, after gates, caps and rendering.

Dispatch picks the deliverer by the message's channel. A channel is added by writing a
deliverer and registering it in the wiring; dispatch itself does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.domain.core.state import InboxMessage, OutboxItem, SendMessage
from shared.domain.players.feedback import encode_tag
from shared.domain.players.unsubscribe import TokenSigner, with_footer

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
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        tags: dict[str, str],
        headers: dict[str, str] | None = None,
    ) -> str: ...


class UnsubscribeLinks(Protocol):
    def url(self, player_id: str, channel: str, now: datetime) -> str: ...


class EmailDeliverer:
    """Sends email; every marketing email carries a signed one-click unsubscribe link."""

    def __init__(self, email: EmailPort, unsubscribe: UnsubscribeLinks | None = None) -> None:
        self._email = email
        self._unsubscribe = unsubscribe

    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        if effect.to is None:
            raise PermanentDeliveryError("no address")
        text, html, headers = rendered.text, rendered.html, None
        if effect.category == "marketing":
            if self._unsubscribe is None:
                # A marketing email without a way out is never sent (law and mailbox rules).
                raise PermanentDeliveryError("marketing email without an unsubscribe link")
            url = self._unsubscribe.url(item.player_id, "email", now)
            text, html = with_footer(text, html, effect.locale, url)
            # RFC 2369 + RFC 8058: mail clients show their own "Unsubscribe" button and
            # POST "List-Unsubscribe=One-Click" to the URL (required by Gmail and Yahoo).
            headers = {
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        tags = {
            "template": effect.template,
            "rule": item.rule_id,
            "category": effect.category,
            "outbox": item.outbox_id,
        }
        # Lets delivery feedback (opens, bounces) find the player and the message; encoded
        # reversibly because SES tag values cannot hold every character a player id can.
        player_tag = encode_tag(item.player_id)
        if player_tag is not None:
            tags["player"] = player_tag
        message_id = self._email.send(
            effect.to, rendered.subject, text, html, tags, headers=headers
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


class SignedUnsubscribeLinks:
    """`<base_url>?t=<signed token>`: the link the unsubscribe route accepts."""

    def __init__(self, base_url: str, signer: TokenSigner) -> None:
        self._base = base_url
        self._signer = signer

    def url(self, player_id: str, channel: str, now: datetime) -> str:
        token = self._signer.sign(player_id, channel, now)
        separator = "&" if "?" in self._base else "?"
        return f"{self._base}{separator}t={token}"
