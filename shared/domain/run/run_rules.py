"""Rules in a decision: a matched rule's limit, then its actions, each to its concern.

This is the one concern that calls most others (an action is points, a send, a timer,
an offer, a cascade, a badge, spins or a mission), so it sits above them all; missions,
leaderboard prizes and rule timers reach back to it only through `ctx.execute`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from shared.domain.authoring.rules import (
    AwardPointsAction,
    CancelTimerAction,
    CascadeAction,
    CompiledRule,
    GrantBadgeAction,
    GrantSpinsAction,
    JoinMissionAction,
    OpenOfferAction,
    ScheduleAction,
    SendAction,
)
from shared.domain.basics.calendar_dates import calendar_window, zone
from shared.domain.basics.durations import format_duration
from shared.domain.run import (
    run_badges,
    run_budgets,
    run_delivery,
    run_engagement,
    run_experiments,
    run_missions,
    run_points,
    run_rg,
    run_timers,
    run_wheels,
)
from shared.domain.run.context import DecisionContext


def limit_reached(ctx: DecisionContext, limit: Any, rule_id: str) -> bool:
    if limit is None:
        return False
    fires = ctx.state.rule_fires.get(rule_id, [])
    at = ctx.event.occurred_at
    if limit.per is not None:
        # The player's local day (week, month) holding the event, DST-correct.
        time_zone = ctx.state.profile.time_zone or "UTC"
        start, end, _ = calendar_window(limit.per, at, zone(time_zone))
        recent = [t for t in fires if start <= t < end]
        period = f"{limit.per} in {time_zone}"
    elif limit.period is not None:
        since = at - limit.period
        recent = [t for t in fires if t > since]
        period = format_duration(limit.period)
    else:
        recent, period = fires, "ever"
    if len(recent) >= limit.per_player:
        ctx.trace(rule_id, f"matched, but its limit ({limit.per_player} per {period}) is reached")
        return True
    return False


def record_fire(ctx: DecisionContext, rule_id: str) -> None:
    rule = ctx.config.rules.get(rule_id)
    limit = rule.rule.limit if rule else None
    if limit is None:
        return
    fires = [*ctx.state.rule_fires.get(rule_id, []), ctx.event.occurred_at]
    # Keep only what the limit can still count, so the item does not grow forever.
    ctx.state.rule_fires[rule_id] = sorted(fires)[-limit.per_player :]


def fire(ctx: DecisionContext, rule: CompiledRule) -> None:
    """A matched rule within its limit: record the firing and run its (variant's) actions."""
    record_fire(ctx, rule.rule_id)
    execute(ctx, rule, run_experiments.actions_for(ctx, rule), path="")


def execute(ctx: DecisionContext, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
    """Run `actions` for `rule`; the deliveries they make are their own (an offer in them
    opens when their messages arrive), so a nested run keeps the outer list untouched."""
    outer, ctx.deliveries = ctx.deliveries, []
    try:
        _execute(ctx, rule, actions, path)
    finally:
        ctx.deliveries = outer


def _execute(ctx: DecisionContext, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
    for i, action in enumerate(actions):
        action_path = f"{path}{i}"
        match action:
            case AwardPointsAction():
                award(ctx, rule, action, action_path)
            case SendAction():
                run_delivery.send(ctx, rule, action, action_path)
            case ScheduleAction():
                run_timers.schedule(ctx, rule, action, action_path)
            case CancelTimerAction():
                run_timers.cancel(ctx, rule.rule_id, action.cancel_timer.timer, action_path)
            case OpenOfferAction():
                run_engagement.open_offer(ctx, rule, action, action_path)
            case CascadeAction():
                run_delivery.cascade(ctx, rule, action, action_path)
            case GrantBadgeAction():
                run_badges.grant_badge(ctx, rule.rule_id, action.grant_badge.badge, action_path)
            case GrantSpinsAction():
                run_wheels.grant_spins(ctx, rule.rule_id, action, action_path)
            case JoinMissionAction():
                run_missions.join_mission(
                    ctx, rule.rule_id, action.join_mission.mission, action_path
                )


def award(ctx: DecisionContext, rule: CompiledRule, action: AwardPointsAction, path: str) -> None:
    spec = action.award_points
    if spec.points is not None:
        points = spec.points
    else:
        amount = ctx.event.value_of(spec.of or "")
        if not isinstance(amount, Decimal) or spec.rate is None:
            ctx.trace(rule.rule_id, f"award_points skipped: event has no {spec.of}")
            return
        points = math.floor(amount * spec.rate)
    multiplier, offer = ctx.state.engagement.multiplier_at(ctx.event.occurred_at)
    if offer is not None:
        points = math.floor(points * multiplier)
        ctx.trace(rule.rule_id, f"offer {offer} applies: x{multiplier}")
    if points <= 0:
        ctx.trace(rule.rule_id, "award_points: 0 points, nothing written")
        return
    if not run_rg.offer_allowed(ctx, "bonus", rule.rule_id, f"award {points} points", path):
        return
    if run_experiments.withheld(ctx, rule.rule_id, f"award_points:{points}", path, reward=True):
        return
    label = f"award {points} points"
    if not run_budgets.within_budget(ctx, rule.rule_id, label, path, points=points):
        return
    run_points.credit(ctx, rule.rule_id, points, path, spec.reason or rule.rule_id)
    ctx.trace(rule.rule_id, "+{} points (balance {})", points, ctx.state.points_balance)
