"""Tiers in a decision: count earned points, upgrade at once, review for downgrades by timer."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.models import TierChanged, TimerFired
from shared.domain.core.state import PendingTimer
from shared.domain.game.tiers import REVIEW_TIMER, TIER_RULE, Tier, TierProgram, review_due
from shared.domain.run import run_timers
from shared.domain.run.context import DecisionContext

# A review due within this of now is done now rather than re-armed (the timer's own lead).
_REVIEW_SLACK = timedelta(minutes=1)


def qualify(ctx: DecisionContext, points: int, at: datetime) -> None:
    """Count points earned (negative: clawed back) at `at`; upgrade if they now qualify."""
    program = ctx.config.game.tiers
    if program is None or points == 0:
        return
    status = ctx.state.tier
    now = ctx.event.occurred_at
    today = program.local_date(now)
    # Points are usually earned by the event itself: its local day is known already.
    key = program.bucket_of_day(today) if at is now else program.bucket(at)
    keep_from = program.keep_from(now, today)
    earned = status.earned  # the decision's own copy (state_copy.py)
    if key >= keep_from:
        total = earned.get(key, 0) + points
        if total > 0:
            earned[key] = total
        else:
            earned.pop(key, None)
    if earned and min(earned) < keep_from:
        status.earned = earned = {k: v for k, v in earned.items() if k >= keep_from}
    if points < 0:
        # A clawback never drops the tier on the spot: the next review decides.
        return
    qualifying = program.qualifying(earned, now, today)
    target = program.supported(qualifying)
    current = program.rank(status.tier)
    if target is None:
        return
    if program.rank(target.tier_id) >= current >= 0:
        status.qualified_at = now
    if program.rank(target.tier_id) > current:
        _change_tier(ctx, program, target, "up", qualifying)
        status.qualified_at = now
    _ensure_review(ctx, program)


def fire_tier_review(ctx: DecisionContext, pending: PendingTimer, event: TimerFired) -> None:
    program = ctx.config.game.tiers
    status = ctx.state.tier
    if program is None or status.tier is None or program.downgrade == "none":
        ctx.trace(TIER_RULE, "tier review: nothing to review")
        return
    now = event.occurred_at
    due = review_due(program, status, now - _REVIEW_SLACK)
    if program.window == "rolling" and due is not None and due > now + _REVIEW_SLACK:
        # Re-qualified since this review was armed: the tier is held a full window on.
        _ensure_review(ctx, program)
        return
    qualifying = program.qualifying(status.earned, now)
    supported = program.supported(qualifying)
    if program.window == "calendar":
        # The period that just ended, whose points the held tier was earned with.
        ended_at = now - timedelta(days=program.grace_days) - timedelta(seconds=1)
        ended = program.supported(program.qualifying(status.earned, ended_at))
        if ended is not None and program.rank(ended.tier_id) > program.rank(
            supported.tier_id if supported else None
        ):
            supported, qualifying = ended, program.qualifying(status.earned, ended_at)
    new_rank = program.rank(supported.tier_id) if supported else -1
    if new_rank < program.rank(status.tier):
        if supported is None:
            _drop_tier(ctx, program, qualifying)
        else:
            _change_tier(ctx, program, supported, "down", qualifying)
    else:
        ctx.trace(TIER_RULE, f"tier review: {status.tier} kept ({qualifying} points)")
    status.qualified_at = now
    _ensure_review(ctx, program)


def _change_tier(
    ctx: DecisionContext, program: TierProgram, tier: Tier, direction: str, qualifying: int
) -> None:
    status = ctx.state.tier
    previous = status.tier if program.rank(status.tier) >= 0 else None
    status.tier, status.since = tier.tier_id, ctx.event.occurred_at
    ctx.trace(TIER_RULE, f"tier {previous or 'none'} -> {tier.tier_id} ({qualifying} points)")
    ctx.publish(
        f"tier.{tier.tier_id}",
        TierChanged(
            player_id=ctx.event.player_id,
            event_id=f"tier.{tier.tier_id}.{direction}.{ctx.event.event_id}"[:256],
            occurred_at=ctx.event.occurred_at,
            tier=tier.tier_id,
            previous_tier=previous,
            direction="up" if direction == "up" else "down",
            qualifying_points=max(0, qualifying),
        ),
    )


def _drop_tier(ctx: DecisionContext, program: TierProgram, qualifying: int) -> None:
    # Below the lowest tier's minimum: the player holds no tier any more. No event is
    # published (there is no tier to name); the trace and the state say it.
    status = ctx.state.tier
    ctx.trace(TIER_RULE, f"tier {status.tier} -> none ({qualifying} points)")
    status.tier, status.since, status.qualified_at = None, ctx.event.occurred_at, None
    run_timers.cancel(ctx, TIER_RULE, REVIEW_TIMER, "tier.review.cancel")


def _ensure_review(ctx: DecisionContext, program: TierProgram) -> None:
    due = review_due(program, ctx.state.tier, ctx.event.occurred_at)
    pending = ctx.state.timers.get(REVIEW_TIMER)
    if due is None:
        if pending is not None:
            run_timers.cancel(ctx, TIER_RULE, REVIEW_TIMER, "tier.review.cancel")
        return
    if pending is not None and pending.due_at <= due:
        # Due no later than needed: when it fires, a review not yet due slides on. This
        # keeps an earning player from re-arming a schedule on every earn.
        return
    run_timers.arm_timer(
        ctx, TIER_RULE, REVIEW_TIMER, due, "tier.review", payload={"kind": "tier_review"}
    )
