"""Engagement in a decision: lifecycle, RFM, segments, offers, derived events."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from events.models import (
    LifecycleChanged,
    SegmentEntered,
    SegmentExited,
    TimerFired,
)
from shared.domain.authoring.rules import (
    CompiledRule,
    OpenOfferAction,
)
from shared.domain.authoring.segments import evaluate
from shared.domain.players.engagement import (
    ACTIVITY_TYPES,
    LIFECYCLE_RULE,
    SPENDING_TYPES,
    Command,
    Offer,
    lifecycle_on_activity,
    lifecycle_on_timer,
    record_activity,
    rfm,
)
from shared.domain.run import run_experiments, run_timers
from shared.domain.run.context import DecisionContext
from shared.domain.run.decision import match_document


def track_engagement(ctx: DecisionContext) -> None:
    event, e = ctx.event, ctx.state.engagement
    policy = ctx.config.engagement
    if event.detail_type not in ACTIVITY_TYPES:
        return
    spent = None
    if event.detail_type in SPENDING_TYPES:  # rounds, most events, have no amount
        amount = event.value_of("amount")
        spent = amount if isinstance(amount, Decimal) else None
    record_activity(
        e,
        event.detail_type,
        event.occurred_at,
        ctx.state.profile.time_zone,
        policy,
        spent,
        is_round=event.detail_type == "game.round_finished",
    )
    if policy.lifecycle:
        commands = lifecycle_on_activity(
            e, event.detail_type, event.occurred_at, policy, has_spent=spent is not None
        )
        if commands:  # an active player's events, most of them, move nothing
            run_lifecycle(ctx, commands)
    if ctx.scores_rfm:
        scored = rfm(e, event.occurred_at, ctx.state.profile.time_zone, policy)
        if scored is not e.rfm:  # the same facts give the same (frozen) object back
            e.rfm = scored


def run_lifecycle(ctx: DecisionContext, commands: Sequence[Command]) -> None:
    e = ctx.state.engagement
    for cmd in commands:
        if cmd.kind == "arm" and cmd.due_at is not None:
            run_timers.arm_timer(
                ctx, LIFECYCLE_RULE, cmd.timer, cmd.due_at, f"lifecycle.arm.{cmd.timer}"
            )
        elif cmd.kind == "cancel":
            if cmd.timer in ctx.state.timers:
                run_timers.cancel(ctx, LIFECYCLE_RULE, cmd.timer, f"lifecycle.cancel.{cmd.timer}")
        elif cmd.kind == "stage" and cmd.stage is not None and cmd.stage != e.stage:
            previous = e.stage
            e.stage, e.stage_since = cmd.stage, ctx.event.occurred_at
            ctx.trace(LIFECYCLE_RULE, f"stage {previous or '-'} -> {cmd.stage}")
            ctx.publish(
                f"lifecycle.{cmd.stage}",
                LifecycleChanged(
                    player_id=ctx.event.player_id,
                    event_id=f"lifecycle.{cmd.stage}.{ctx.event.event_id}"[:256],
                    occurred_at=ctx.event.occurred_at,
                    stage=cmd.stage,
                    previous_stage=previous,
                ),
            )


def fire_lifecycle(ctx: DecisionContext, event: TimerFired) -> None:
    commands = lifecycle_on_timer(
        ctx.state.engagement, event.timer, event.occurred_at, ctx.config.engagement
    )
    if commands and commands[0].kind == "arm" and commands[0].timer == event.timer:
        ctx.trace(LIFECYCLE_RULE, f"timer {event.timer}: player active since, sliding on")
    run_lifecycle(ctx, commands)
    if ctx.scores_rfm:
        e = ctx.state.engagement
        e.rfm = rfm(e, event.occurred_at, ctx.state.profile.time_zone, ctx.config.engagement)


def update_segments(ctx: DecisionContext) -> None:
    if not ctx.config.segments and not ctx.state.segments:
        return
    doc = match_document(ctx.event, ctx.state, ctx.config.segment_fields)
    membership, transitions = evaluate(
        ctx.config.segments, doc, ctx.state.segments, ctx.event.occurred_at
    )
    ctx.state.segments = membership
    for change in transitions:
        verb = "entered" if change.entered else "exited"
        model = SegmentEntered if change.entered else SegmentExited
        ctx.trace(None, f"segment {change.segment_id} {verb}")
        ctx.publish(
            f"segment.{change.segment_id}.{verb}",
            model(
                player_id=ctx.event.player_id,
                event_id=f"segment.{change.segment_id}.{verb}.{ctx.event.event_id}"[:256],
                occurred_at=ctx.event.occurred_at,
                segment_id=change.segment_id,
            ),
        )


def open_offer(
    ctx: DecisionContext, rule: CompiledRule, action: OpenOfferAction, path: str
) -> None:
    spec = action.open_offer
    if run_experiments.withheld(ctx, rule.rule_id, f"open_offer:{spec.offer}", path, reward=True):
        return
    # "Come back within 2 hours" counts from when the message announcing it reaches the
    # player (a send before it in the same action list), not from when the rule fired:
    # a push held by quiet hours until 08:00 opens a window from 08:00.
    start = min(ctx.deliveries) if ctx.deliveries else ctx.event.occurred_at
    ctx.state.engagement.offers[spec.offer] = Offer(
        multiplier=spec.multiplier, opened_at=start, until=start + spec.for_
    )
    until = (start + spec.for_).isoformat()
    opens = "" if start == ctx.event.occurred_at else f" from {start.isoformat()}"
    ctx.trace(rule.rule_id, f"offer {spec.offer}: points x{spec.multiplier}{opens} until {until}")
