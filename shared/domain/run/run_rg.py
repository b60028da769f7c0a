"""Responsible gaming in a decision: the gate, flags, exclusions cancelling offers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.models import (
    RgAlert,
)
from shared.domain.authoring.rules import (
    AwardPointsAction,
    GrantSpinsAction,
    SendAction,
    walk_actions,
)
from shared.domain.core.state import (
    CancelTimer,
    PendingTimer,
    PublishEvent,
)
from shared.domain.players.engagement import (
    LIFECYCLE_RULE,
)
from shared.domain.players.rg import GateClass, gate, observe
from shared.domain.run.run_base import RunBase


class RgMixin(RunBase):
    """Responsible gaming in a decision: the gate, flags, exclusions cancelling offers."""

    def offer_allowed(self, what: GateClass, rule_id: str, label: str, path: str) -> bool:
        # Both the event's time and now: an offer for play that happened while excluded is
        # refused, and so is one decided while excluded.
        verdict = gate(self.state.rg, what, (self.event.occurred_at, self.now))
        if not verdict.allowed:
            self.suppress(rule_id, label, verdict.reason or "responsible gaming", path)
        return verdict.allowed

    def observe_rg(self, loss_streak_before: int, in_place: bool = False) -> None:
        seen = observe(
            self.state.rg,
            self.event,
            loss_streak_before=loss_streak_before,
            time_zone=self.state.profile.time_zone,
            thresholds=self.config.rg_thresholds,
            in_place=in_place,
        )
        if seen.status is not self.state.rg:
            self.state.rg = seen.status
        for flag in seen.raised:
            self.trace(None, f"rg flag {flag.name} raised: {flag.reason}")
            self.audit("flag", flag.reason, None, flag.inputs, key=flag.name)
            alert = RgAlert(
                player_id=self.event.player_id,
                event_id=f"rg-alert.{flag.name}.{self.event.event_id}",
                occurred_at=self.event.occurred_at,
                flag=flag.name,
                reason=flag.reason,
                inputs=flag.inputs,
            )
            self._outbox(
                "rg",
                f"alert.{flag.name}",
                PublishEvent(
                    detail_type=RgAlert.detail_type,
                    detail=alert.model_dump(mode="json"),
                    compliance=True,
                ),
            )
        if seen.excluded_now is not None:
            exclusion = seen.excluded_now
            until = exclusion.until.isoformat() if exclusion.until else "indefinitely"
            self.trace(None, f"{exclusion.kind.replace('_', ' ')} until {until}")
            self.audit("exclusion", f"{exclusion.kind} until {until}", key=exclusion.kind)
            self.cancel_offer_timers()

    def cancel_offer_timers(self) -> None:
        """On exclusion, disarm every pending timer that would make an offer."""
        for name, pending in sorted(self.state.timers.items()):
            if pending.rule_id == LIFECYCLE_RULE:
                continue  # bookkeeping, not an offer
            if not self._timer_makes_offer(name, pending):
                continue  # service-only timers (e.g. a security notice) keep running
            del self.state.timers[name]
            self._outbox(
                pending.rule_id,
                f"rg.cancel.{name}",
                CancelTimer(
                    timer=name, schedule_name=pending.schedule_name, generation=pending.generation
                ),
            )
            self.trace(pending.rule_id, f"timer {name} cancelled by exclusion")
            self.audit(
                "timer_cancelled",
                f"timer {name} cancelled: player excluded",
                pending.rule_id,
                key=name,
            )

    def _timer_makes_offer(self, name: str, pending: PendingTimer) -> bool:
        payload = pending.payload
        if payload is not None:
            # A deferred send or a cascade step: an offer unless its template is service.
            channels = payload.get("channels") or [payload.get("channel", "email")]
            template = self.config.template(str(payload.get("template")), channels[0], None)
            return template is None or template.category == "marketing"
        rule = self.config.rules.get(pending.rule_id)
        spec = rule.timers.get(name) if rule else None
        # An unknown rule's timer is cancelled: when in doubt, no offer.
        return spec is None or self._makes_offer(spec[0].then)

    def _makes_offer(self, actions: Sequence[Any]) -> bool:
        for _, action in walk_actions(actions):
            if isinstance(action, AwardPointsAction | GrantSpinsAction):
                return True
            if isinstance(action, SendAction):
                template = self.config.template(action.send.template, action.send.channel, None)
                if template is None or template.category == "marketing":
                    return True
        return False
