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
from shared.domain.run import run_experiments, run_identity, run_rg, run_timers
from shared.domain.run.context import DecisionContext
from shared.domain.run.decision import match_document


def send(ctx: DecisionContext, rule: CompiledRule, action: SendAction, path: str) -> None:
    spec = action.send
    template = run_experiments.template_for(ctx, rule.rule_id, spec.template)
    if spec.once_per_contact and run_identity.contact_shared(
        ctx, rule.rule_id, spec.channel, path, template
    ):
        return
    deliver(ctx, rule.rule_id, template, spec.channel, path, on_cap=spec.on_cap)


def _address(ctx: DecisionContext, channel: str) -> tuple[str | None, list[str], str | None]:
    """(to, devices, why not) for a channel: email and phone, device tokens, or nothing."""
    profile = ctx.state.profile
    if channel == "email":
        return profile.email, [], None if profile.email else "no email address"
    if channel == "sms":
        return profile.phone, [], None if profile.phone else "no phone number"
    if channel == "push":
        tokens = [d.token for d in getattr(profile, "devices", [])]
        return None, tokens, None if tokens else "no push device"
    return None, [], None


def usable(ctx: DecisionContext, template_id: str, channel: str) -> str | None:
    """Why a channel cannot carry this message to this player now (cascades skip it)."""
    template = ctx.config.template(template_id, channel, ctx.state.profile.locale)
    if template is None:
        return f"no {channel} template"
    if template.category == "marketing":
        refused = ctx.state.profile.consent_refusal(channel, template.product)
        if refused is not None:
            return refused
    return _address(ctx, channel)[2]


def deliver(
    ctx: DecisionContext,
    rule_id: str,
    template_id: str,
    channel: Any,
    path: str,
    *,
    on_cap: str = "drop",
) -> bool:
    """Put one message in the outbox if every gate allows it; True if sent or deferred."""
    profile = ctx.state.profile
    label = f"send {template_id} by {channel}"
    template = ctx.config.template(template_id, channel, profile.locale)
    if template is None:
        ctx.suppress(rule_id, label, f"no {channel} template", path)
        return False
    marketing = template.category == "marketing"
    if marketing and not run_rg.offer_allowed(ctx, "marketing_message", rule_id, label, path):
        return False
    refused = profile.consent_refusal(channel, template.product) if marketing else None
    if refused is not None:
        ctx.suppress(rule_id, label, refused, path)
        return False
    to, devices, missing = _address(ctx, channel)
    if missing is not None:
        ctx.suppress(rule_id, label, missing, path)
        return False
    policy, log, tz = ctx.config.delivery, ctx.state.delivery, profile.time_zone
    previous = duplicate_of(log, channel, template_id, ctx.now, policy)
    if previous is not None:
        ctx.suppress(rule_id, label, f"duplicate of the one sent {previous.at.isoformat()}", path)
        return False
    if marketing:
        capped = cap_reason(log, channel, ctx.now, tz, policy)
        if capped is not None:
            if on_cap == "defer":
                defer(
                    ctx,
                    rule_id,
                    template_id,
                    channel,
                    next_cap_reset(ctx.now, tz, capped),
                    capped,
                    path,
                )
                return True
            ctx.suppress(rule_id, label, capped, path)
            return False
        quiet = quiet_until(channel, ctx.now, tz, policy)
        if quiet is not None:
            defer(ctx, rule_id, template_id, channel, quiet, "quiet hours", path)
            return True
    # Held out last: only a message that would really have gone now is "would have".
    if marketing and run_experiments.withheld(
        ctx, rule_id, f"send:{template_id}:{channel}", path, reward=False
    ):
        return False
    values = match_document(ctx.event, ctx.state)["player"]
    variables: dict[str, Any] = {name: values.get(name) for name in sorted(TEMPLATE_VARIABLES)}
    variables |= shop_values(
        template.roots & SHOP_ROOTS,
        ctx.event,
        ctx.state.shop,
        ctx.config.shop,
        ctx.now,
        profile.time_zone,
    )
    ctx.to_outbox(
        rule_id,
        path,
        SendMessage(
            template=template_id,
            channel=channel,
            category=template.category,
            product=template.product,
            config_version=ctx.config.version,
            locale=profile.locale,
            to=to,
            devices=devices,
            vars=variables,
        ),
    )
    log.record(
        SentRecord(at=ctx.now, channel=channel, template=template_id, category=template.category)
    )
    ctx.deliveries.append(ctx.now)
    ctx.trace(rule_id, label)
    return True


def defer(
    ctx: DecisionContext,
    rule_id: str,
    template_id: str,
    channel: str,
    until: datetime,
    why: str,
    path: str,
) -> None:
    """Hold a message until `until` with a one-time timer; gates are re-checked then."""
    ctx.deliveries.append(until)
    timer = f"defer-{stable_id(ctx.event.event_id, rule_id, path)[:16]}"
    run_timers.arm_timer(
        ctx,
        rule_id,
        timer,
        until,
        f"{path}.defer",
        payload={"kind": "send", "template": template_id, "channel": channel},
    )
    ctx.trace(
        rule_id, f"send {template_id} by {channel}: deferred until {until.isoformat()} ({why})"
    )
    ctx.audit(
        "deferral",
        f"send {template_id} by {channel}: {why}, until {until.isoformat()}",
        rule_id,
        {"channel": channel},
        key=path,
    )


def cascade(ctx: DecisionContext, rule: CompiledRule, action: CascadeAction, path: str) -> None:
    spec = action.cascade
    template = run_experiments.template_for(ctx, rule.rule_id, spec.template)
    cascade_from(ctx, rule.rule_id, template, list(spec.channels), spec.wait, path)


def cascade_from(
    ctx: DecisionContext,
    rule_id: str,
    template_id: str,
    channels: list[str],
    wait: timedelta,
    path: str,
) -> None:
    while channels:
        channel, channels = channels[0], channels[1:]
        why_not = usable(ctx, template_id, channel)
        if why_not is not None:
            ctx.trace(rule_id, f"cascade {template_id}: {channel} skipped ({why_not})")
            continue
        # Held out once, as the channel it would have gone to: no step, no next timer.
        template = ctx.config.template(template_id, channel, ctx.state.profile.locale)
        if (
            template is not None
            and template.category == "marketing"
            and run_experiments.withheld(
                ctx, rule_id, f"send:{template_id}:{channel}", f"{path}.{channel}", reward=False
            )
        ):
            return
        if deliver(ctx, rule_id, template_id, channel, f"{path}.{channel}") and channels:
            timer = f"cascade-{stable_id(ctx.event.event_id, rule_id, path)[:14]}"
            run_timers.arm_timer(
                ctx,
                rule_id,
                timer,
                ctx.now + wait,
                f"{path}.{channel}.next",
                payload={
                    "kind": "cascade",
                    "template": template_id,
                    "channels": channels,
                    "wait": int(wait.total_seconds()),
                    "sent_at": ctx.now.isoformat(),
                },
            )
        return
    ctx.trace(rule_id, f"cascade {template_id}: no channel left")


def fire_delivery(ctx: DecisionContext, pending: PendingTimer, event: TimerFired) -> None:
    """A deferred send or the next step of a cascade."""
    payload = pending.payload or {}
    if payload.get("kind") == "send":
        deliver(
            ctx,
            pending.rule_id,
            payload["template"],
            payload["channel"],
            f"deferred.{event.timer}",
            on_cap="defer",
        )
    elif payload.get("kind") == "cascade":
        opened = getattr(ctx.state.profile, "messages_opened", {}).get(payload["template"])
        if opened is not None and opened >= datetime.fromisoformat(payload["sent_at"]):
            ctx.trace(pending.rule_id, f"cascade {payload['template']}: opened, stops here")
            return
        cascade_from(
            ctx,
            pending.rule_id,
            payload["template"],
            list(payload["channels"]),
            timedelta(seconds=payload["wait"]),
            f"cascade.{event.timer}",
        )
