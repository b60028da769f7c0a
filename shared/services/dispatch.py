"""Dispatch: perform each committed outbox effect, exactly once in effect.

Timers are idempotent by construction (one schedule name per player+timer, generations
guard against stale effects). Email is checked against the outbox item's status before
sending and marked done after, so a redelivered stream record does not send twice. The one
window left — SES accepted the message but the status write failed — is documented in
docs/design.md: we prefer a rare duplicate over a lost message for a failed write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from shared.adapters.email_ses import PermanentSendError
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.domain.core.state import (
    AuditEntry,
    CancelTimer,
    OutboxItem,
    PublishEvent,
    ScheduleTimer,
    SendMessage,
    stable_id,
)
from shared.domain.players.rg import RgThresholds, gate
from shared.errors import NotFoundError
from shared.metric_names import (
    CHANNEL,
    MESSAGES_FAILED,
    MESSAGES_SENT,
    MESSAGES_SUPPRESSED,
    REASON,
    SUPPRESSED_NO_CONSENT,
    SUPPRESSED_RG,
    TIMERS_ARMED,
    TIMERS_CANCELLED,
)
from shared.metrics import MetricsPort, RecordingMetrics
from shared.services.config_cache import ConfigCache
from shared.services.deliverers import Deliverer, PermanentDeliveryError, Rendered

DONE = "done"
FAILED = "failed"
SUPPRESSED = "suppressed"
FINAL = (DONE, FAILED, SUPPRESSED)
# Dispatch has no config snapshot at hand for the policy; audit entries it writes are
# kept for the default retention (RgThresholds.audit_retention_days).
AUDIT_RETENTION = timedelta(days=RgThresholds().audit_retention_days)


class PublisherPort(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


class AlertPort(Protocol):
    def alert(self, subject: str, message: Mapping[str, Any]) -> str: ...


class TimerPort(Protocol):
    def upsert(self, player_id: str, effect: ScheduleTimer) -> str: ...
    def delete(self, schedule_name: str, generation: int) -> str: ...


class DispatchObserver(Protocol):
    def performed(self, item: OutboxItem, result: str) -> None: ...


class SilentDispatchObserver:
    def performed(self, item: OutboxItem, result: str) -> None:
        pass


class DispatchService:
    def __init__(
        self,
        players: PlayerStore,
        config: ConfigCache,
        deliverers: Mapping[str, Deliverer],
        timers: TimerPort,
        publisher: PublisherPort,
        alerts: AlertPort,
        clock: Clock,
        observer: DispatchObserver | None = None,
        metrics: MetricsPort | None = None,
    ) -> None:
        self._metrics: MetricsPort = metrics if metrics is not None else RecordingMetrics()
        self._publisher = publisher
        self._alerts = alerts
        self._clock = clock
        self._players = players
        self._config = config
        self._deliverers = dict(deliverers)
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
                self._metrics.count(TIMERS_ARMED)
            case CancelTimer():
                result = f"schedule {effect.schedule_name}: " + self._timers.delete(
                    effect.schedule_name, effect.generation
                )
                self._mark(item.player_id, item.outbox_id, DONE, result)
                self._metrics.count(TIMERS_CANCELLED)
            case PublishEvent():
                result = self._publish(item, effect)
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
        locale = effect.locale
        return Rendered(
            subject=subject.render(values, locale=locale),
            text=text.render(values, locale=locale),
            html=html.render(values, html=True, locale=locale) if html else None,
        )

    def _publish(self, item: OutboxItem, effect: PublishEvent) -> str:
        status = self._players.outbox_status(item.player_id, item.outbox_id)
        if status in FINAL:
            return f"publish {effect.detail_type}: already {status}"
        event_id = self._publisher.publish(effect.detail_type, effect.detail)
        result = f"published {effect.detail_type} as {event_id}"
        if effect.compliance:
            message_id = self._alerts.alert(
                f"[engage] {effect.detail_type} {effect.detail.get('flag', '')}", effect.detail
            )
            result += f"; compliance alert {message_id}"
        self._mark(item.player_id, item.outbox_id, DONE, result)
        return result

    def _rg_blocks(self, item: OutboxItem, effect: SendMessage) -> tuple[str, str] | None:
        """Consult the RG gate and consent again at send time: either may have changed."""
        if effect.category != "marketing":
            return None
        state = self._players.state(item.player_id)
        if state is None:
            return None
        now = self._clock.now()
        verdict = gate(state.rg, "marketing_message", (item.created_at, now))
        # Consent too: an unsubscribe (or a hard bounce) applied after the decision but
        # before this send wins, so withdrawal takes effect at once.
        refused = state.profile.consent_refusal(effect.channel, effect.product)
        if verdict.allowed and refused is None:
            return None
        reason = (
            f"{refused} (withdrawn before sending)"
            if verdict.allowed
            else verdict.reason or "responsible gaming"
        )
        code = SUPPRESSED_NO_CONSENT if verdict.allowed else SUPPRESSED_RG
        self._players.put_audit(
            AuditEntry(
                audit_id=stable_id(item.outbox_id, "dispatch-gate"),
                player_id=item.player_id,
                occurred_at=now,
                category="suppression",
                stage="dispatch",
                reason=f"send {effect.template} by {effect.channel}: {reason}",
                inputs={"outbox_id": item.outbox_id},
                event_id=item.event_id,
                rule_id=item.rule_id,
                retain_until=now + AUDIT_RETENTION,
            )
        )
        return reason, code

    def _send(self, item: OutboxItem, effect: SendMessage) -> str:
        status = self._players.outbox_status(item.player_id, item.outbox_id)
        if status in FINAL:
            return f"{effect.channel} {effect.template}: already {status}"
        blocked = self._rg_blocks(item, effect)
        if blocked is not None:
            reason, code = blocked
            result = f"{effect.channel} {effect.template}: suppressed at send time, {reason}"
            self._mark(item.player_id, item.outbox_id, SUPPRESSED, result)
            self._metrics.count(MESSAGES_SUPPRESSED, dimension=(REASON, code))
            return result
        rendered = self.render(effect)
        label = f"{effect.channel} {effect.template}"
        if rendered is None:
            return self._failed(item, effect, f"{label}: template deleted before sending")
        deliverer = self._deliverers.get(effect.channel)
        if deliverer is None:
            return self._failed(item, effect, f"{label}: no {effect.channel} channel configured")
        try:
            outcome = deliverer.deliver(item, effect, rendered, self._clock.now())
        except (PermanentDeliveryError, PermanentSendError) as exc:
            return self._failed(item, effect, f"{label}: refused ({exc})")
        result = f"{label}: {outcome}"
        self._mark(item.player_id, item.outbox_id, DONE, result)
        self._metrics.count(MESSAGES_SENT, dimension=(CHANNEL, effect.channel))
        return result

    def _failed(self, item: OutboxItem, effect: SendMessage, result: str) -> str:
        self._mark(item.player_id, item.outbox_id, FAILED, result)
        self._metrics.count(MESSAGES_FAILED, dimension=(CHANNEL, effect.channel))
        return result
