"""Messages in a decision: gates, consent, caps, quiet hours, cascades."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from events.models import (
    TimerFired,
)
from shared.domain.authoring.rules import (
    CascadeAction,
    CompiledRule,
    SendAction,
)
from shared.domain.commerce.shop_vars import SHOP_ROOTS, shop_values
from shared.domain.core.config import TEMPLATE_VARIABLES
from shared.domain.core.state import (
    PendingTimer,
    SendMessage,
    stable_id,
)
from shared.domain.messaging.delivery import (
    SentRecord,
    cap_reason,
    duplicate_of,
    next_cap_reset,
    quiet_until,
)
from shared.domain.run.decision import match_document
from shared.domain.run.run_base import RunBase


class DeliveryMixin(RunBase):
    """Messages in a decision: gates, consent, caps, quiet hours, cascades."""

    def send(self, rule: CompiledRule, action: SendAction, path: str) -> None:
        spec = action.send
        template = self.template_for(rule.rule_id, spec.template)
        if spec.once_per_contact and self.contact_shared(
            rule.rule_id, spec.channel, path, template
        ):
            return
        self.deliver(rule.rule_id, template, spec.channel, path, on_cap=spec.on_cap)

    def _address(self, channel: str) -> tuple[str | None, list[str], str | None]:
        """(to, devices, why not) for a channel: email and phone, device tokens, or nothing."""
        profile = self.state.profile
        if channel == "email":
            return profile.email, [], None if profile.email else "no email address"
        if channel == "sms":
            return profile.phone, [], None if profile.phone else "no phone number"
        if channel == "push":
            tokens = [d.token for d in getattr(profile, "devices", [])]
            return None, tokens, None if tokens else "no push device"
        return None, [], None

    def usable(self, template_id: str, channel: str) -> str | None:
        """Why a channel cannot carry this message to this player now (cascades skip it)."""
        template = self.config.template(template_id, channel, self.state.profile.locale)
        if template is None:
            return f"no {channel} template"
        if template.category == "marketing":
            refused = self.state.profile.consent_refusal(channel, template.product)
            if refused is not None:
                return refused
        return self._address(channel)[2]

    def deliver(
        self, rule_id: str, template_id: str, channel: Any, path: str, *, on_cap: str = "drop"
    ) -> bool:
        """Put one message in the outbox if every gate allows it; True if sent or deferred."""
        profile = self.state.profile
        label = f"send {template_id} by {channel}"
        template = self.config.template(template_id, channel, profile.locale)
        if template is None:
            self.suppress(rule_id, label, f"no {channel} template", path)
            return False
        marketing = template.category == "marketing"
        if marketing and not self.offer_allowed("marketing_message", rule_id, label, path):
            return False
        refused = profile.consent_refusal(channel, template.product) if marketing else None
        if refused is not None:
            self.suppress(rule_id, label, refused, path)
            return False
        to, devices, missing = self._address(channel)
        if missing is not None:
            self.suppress(rule_id, label, missing, path)
            return False
        policy, log, tz = self.config.delivery, self.state.delivery, profile.time_zone
        previous = duplicate_of(log, channel, template_id, self.now, policy)
        if previous is not None:
            self.suppress(
                rule_id, label, f"duplicate of the one sent {previous.at.isoformat()}", path
            )
            return False
        if marketing:
            capped = cap_reason(log, channel, self.now, tz, policy)
            if capped is not None:
                if on_cap == "defer":
                    self.defer(
                        rule_id,
                        template_id,
                        channel,
                        next_cap_reset(self.now, tz, capped),
                        capped,
                        path,
                    )
                    return True
                self.suppress(rule_id, label, capped, path)
                return False
            quiet = quiet_until(channel, self.now, tz, policy)
            if quiet is not None:
                self.defer(rule_id, template_id, channel, quiet, "quiet hours", path)
                return True
        # Held out last: only a message that would really have gone now is "would have".
        if marketing and self.withheld(
            rule_id, f"send:{template_id}:{channel}", path, reward=False
        ):
            return False
        values = match_document(self.event, self.state)["player"]
        variables: dict[str, Any] = {name: values.get(name) for name in sorted(TEMPLATE_VARIABLES)}
        variables |= shop_values(
            template.roots & SHOP_ROOTS,
            self.event,
            self.state.shop,
            self.config.shop,
            self.now,
            profile.time_zone,
        )
        self._outbox(
            rule_id,
            path,
            SendMessage(
                template=template_id,
                channel=channel,
                category=template.category,
                product=template.product,
                config_version=self.config.version,
                locale=profile.locale,
                to=to,
                devices=devices,
                vars=variables,
            ),
        )
        log.record(
            SentRecord(
                at=self.now, channel=channel, template=template_id, category=template.category
            )
        )
        self.deliveries.append(self.now)
        self.trace(rule_id, label)
        return True

    def defer(
        self, rule_id: str, template_id: str, channel: str, until: datetime, why: str, path: str
    ) -> None:
        """Hold a message until `until` with a one-time timer; gates are re-checked then."""
        self.deliveries.append(until)
        timer = f"defer-{stable_id(self.event.event_id, rule_id, path)[:16]}"
        self.arm_timer(
            rule_id,
            timer,
            until,
            f"{path}.defer",
            payload={"kind": "send", "template": template_id, "channel": channel},
        )
        self.trace(
            rule_id, f"send {template_id} by {channel}: deferred until {until.isoformat()} ({why})"
        )
        self.audit(
            "deferral",
            f"send {template_id} by {channel}: {why}, until {until.isoformat()}",
            rule_id,
            {"channel": channel},
            key=path,
        )

    def cascade(self, rule: CompiledRule, action: CascadeAction, path: str) -> None:
        spec = action.cascade
        template = self.template_for(rule.rule_id, spec.template)
        self.cascade_from(rule.rule_id, template, list(spec.channels), spec.wait, path)

    def cascade_from(
        self, rule_id: str, template_id: str, channels: list[str], wait: timedelta, path: str
    ) -> None:
        while channels:
            channel, channels = channels[0], channels[1:]
            why_not = self.usable(template_id, channel)
            if why_not is not None:
                self.trace(rule_id, f"cascade {template_id}: {channel} skipped ({why_not})")
                continue
            # Held out once, as the channel it would have gone to: no step, no next timer.
            template = self.config.template(template_id, channel, self.state.profile.locale)
            if (
                template is not None
                and template.category == "marketing"
                and self.withheld(
                    rule_id, f"send:{template_id}:{channel}", f"{path}.{channel}", reward=False
                )
            ):
                return
            if self.deliver(rule_id, template_id, channel, f"{path}.{channel}") and channels:
                timer = f"cascade-{stable_id(self.event.event_id, rule_id, path)[:14]}"
                self.arm_timer(
                    rule_id,
                    timer,
                    self.now + wait,
                    f"{path}.{channel}.next",
                    payload={
                        "kind": "cascade",
                        "template": template_id,
                        "channels": channels,
                        "wait": int(wait.total_seconds()),
                        "sent_at": self.now.isoformat(),
                    },
                )
            return
        self.trace(rule_id, f"cascade {template_id}: no channel left")

    def fire_builtin(self, pending: PendingTimer, event: TimerFired) -> None:
        """A deferred send or the next step of a cascade."""
        payload = pending.payload or {}
        if payload.get("kind") == "send":
            self.deliver(
                pending.rule_id,
                payload["template"],
                payload["channel"],
                f"deferred.{event.timer}",
                on_cap="defer",
            )
        elif payload.get("kind") == "cascade":
            opened = getattr(self.state.profile, "messages_opened", {}).get(payload["template"])
            if opened is not None and opened >= datetime.fromisoformat(payload["sent_at"]):
                self.trace(pending.rule_id, f"cascade {payload['template']}: opened, stops here")
                return
            self.cascade_from(
                pending.rule_id,
                payload["template"],
                list(payload["channels"]),
                timedelta(seconds=payload["wait"]),
                f"cascade.{event.timer}",
            )
