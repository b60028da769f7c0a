"""Dispatch: perform each committed outbox effect, exactly once in effect.

Timers are idempotent by construction (one schedule name per player+timer, generations
guard against stale effects). Email is checked against the outbox item's status before
sending and marked done after, so a redelivered stream record does not send twice. The one
window left — SES accepted the message but the status write failed — is documented in
docs/design.md: we prefer a rare duplicate over a lost message for a failed write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.adapters.email_ses import PermanentSendError
from shared.adapters.player_store import PlayerStore
from shared.domain.state import CancelTimer, OutboxItem, ScheduleTimer, SendMessage
from shared.errors import NotFoundError
from shared.services.config_cache import ConfigCache

DONE = "done"
FAILED = "failed"


class EmailPort(Protocol):
    def send(
        self, to: str, subject: str, text: str, html: str | None, tags: dict[str, str]
    ) -> str: ...


class TimerPort(Protocol):
    def upsert(self, player_id: str, effect: ScheduleTimer) -> str: ...
    def delete(self, schedule_name: str, generation: int) -> str: ...


class DispatchObserver(Protocol):
    def performed(self, item: OutboxItem, result: str) -> None: ...


class SilentDispatchObserver:
    def performed(self, item: OutboxItem, result: str) -> None:
        pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class DispatchService:
    def __init__(
        self,
        players: PlayerStore,
        config: ConfigCache,
        email: EmailPort,
        timers: TimerPort,
        observer: DispatchObserver | None = None,
    ) -> None:
        self._players = players
        self._config = config
        self._email = email
        self._timers = timers
        self._observer: DispatchObserver = observer or SilentDispatchObserver()

    def perform(self, item: OutboxItem) -> str:
        """Carry out one effect; raises on transient failure so the record is retried."""
        effect = item.effect
        match effect:
            case SendMessage():
                result = self._send(item, effect)
            case ScheduleTimer():
                result = f"schedule {effect.schedule_name}: " + self._timers.upsert(
                    item.player_id, effect
                )
                self._mark(item.player_id, item.outbox_id, DONE, result)
            case CancelTimer():
                result = f"schedule {effect.schedule_name}: " + self._timers.delete(
                    effect.schedule_name, effect.generation
                )
                self._mark(item.player_id, item.outbox_id, DONE, result)
        self._observer.performed(item, result)
        return result

    def _mark(self, player_id: str, outbox_id: str, status: str, result: str) -> None:
        try:
            self._players.mark_outbox(player_id, outbox_id, status, result)
        except NotFoundError:
            # The item expired (TTL) before we marked it: the effect is done, nothing to record.
            return

    def render(self, effect: SendMessage) -> Rendered | None:
        """Render the best template variant for the player's locale (None if none exists)."""
        template = self._config.current().template(effect.template, effect.channel, effect.locale)
        if template is None:
            return None
        subject, text, html = template.compiled()
        values = dict(effect.vars)
        return Rendered(
            subject=subject.render(values),
            text=text.render(values),
            html=html.render(values, html=True) if html else None,
        )

    def _send(self, item: OutboxItem, effect: SendMessage) -> str:
        status = self._players.outbox_status(item.player_id, item.outbox_id)
        if status in (DONE, FAILED):
            return f"email {effect.template}: already {status}"
        rendered = self.render(effect)
        if rendered is None:
            result = f"email {effect.template}: template deleted before sending"
            self._mark(item.player_id, item.outbox_id, FAILED, result)
            return result
        try:
            message_id = self._email.send(
                effect.to,
                rendered.subject,
                rendered.text,
                rendered.html,
                {"template": effect.template, "rule": item.rule_id, "category": effect.category},
            )
        except PermanentSendError as exc:
            result = f"email {effect.template}: refused by SES ({exc})"
            self._mark(item.player_id, item.outbox_id, FAILED, result)
            return result
        result = f"email {effect.template}: sent as {message_id}"
        self._mark(item.player_id, item.outbox_id, DONE, result)
        return result
