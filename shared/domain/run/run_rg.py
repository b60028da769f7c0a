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
    PendingTimer,
    PublishEvent,
)
from shared.domain.players.engagement import (
    LIFECYCLE_RULE,
)
from shared.domain.players.rg import GateClass, gate, observe
from shared.domain.run import run_timers
from shared.domain.run.context import DecisionContext


def offer_allowed(
    ctx: DecisionContext, what: GateClass, rule_id: str, label: str, path: str
) -> bool:
    # Both the event's time and now: an offer for play that happened while excluded is
    # refused, and so is one decided while excluded.
    verdict = gate(ctx.state.rg, what, (ctx.event.occurred_at, ctx.now))
    if not verdict.allowed:
        ctx.suppress(rule_id, label, verdict.reason or "responsible gaming", path)
    return verdict.allowed


def observe_rg(ctx: DecisionContext, loss_streak_before: int, in_place: bool = False) -> None:
    seen = observe(
        ctx.state.rg,
        ctx.event,
        loss_streak_before=loss_streak_before,
        time_zone=ctx.state.profile.time_zone,
        thresholds=ctx.config.rg_thresholds,
        in_place=in_place,
    )
    if seen.status is not ctx.state.rg:
        ctx.state.rg = seen.status
    for flag in seen.raised:
        ctx.trace(None, f"rg flag {flag.name} raised: {flag.reason}")
        ctx.audit("flag", flag.reason, None, flag.inputs, key=flag.name)
        alert = RgAlert(
            player_id=ctx.event.player_id,
            event_id=f"rg-alert.{flag.name}.{ctx.event.event_id}",
            occurred_at=ctx.event.occurred_at,
            flag=flag.name,
            reason=flag.reason,
            inputs=flag.inputs,
        )
        ctx.to_outbox(
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
        ctx.trace(None, f"{exclusion.kind.replace('_', ' ')} until {until}")
        ctx.audit("exclusion", f"{exclusion.kind} until {until}", key=exclusion.kind)
        cancel_offer_timers(ctx)


def cancel_offer_timers(ctx: DecisionContext) -> None:
    """On exclusion, disarm every pending timer that would make an offer."""
    for name, pending in sorted(ctx.state.timers.items()):
        if pending.rule_id == LIFECYCLE_RULE:
            continue  # bookkeeping, not an offer
        if not _timer_makes_offer(ctx, name, pending):
            continue  # service-only timers (e.g. a security notice) keep running
        run_timers.cancel(ctx, pending.rule_id, name, f"rg.cancel.{name}", " by exclusion")
        ctx.audit(
            "timer_cancelled",
            f"timer {name} cancelled: player excluded",
            pending.rule_id,
            key=name,
        )


def _timer_makes_offer(ctx: DecisionContext, name: str, pending: PendingTimer) -> bool:
    payload = pending.payload
    if payload is not None:
        # A deferred send or a cascade step: an offer unless its template is service.
        channels = payload.get("channels") or [payload.get("channel", "email")]
        template = ctx.config.template(str(payload.get("template")), channels[0], None)
        return template is None or template.category == "marketing"
    rule = ctx.config.rules.get(pending.rule_id)
    spec = rule.timers.get(name) if rule else None
    # An unknown rule's timer is cancelled: when in doubt, no offer.
    return spec is None or _makes_offer(ctx, spec[0].then)


def _makes_offer(ctx: DecisionContext, actions: Sequence[Any]) -> bool:
    for _, action in walk_actions(actions):
        if isinstance(action, AwardPointsAction | GrantSpinsAction):
            return True
        if isinstance(action, SendAction):
            template = ctx.config.template(action.send.template, action.send.channel, None)
            if template is None or template.category == "marketing":
                return True
    return False
