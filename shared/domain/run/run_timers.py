"""Timers in a decision: arming, cancelling, firing, sliding, calendar moments."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from events.models import (
    TimerFired,
)
from shared.domain.authoring.rules import (
    CompiledRule,
    Schedule,
    ScheduleAction,
)
from shared.domain.basics.calendar_dates import next_local_occurrence, zone
from shared.domain.commerce.shop import predicted_restock
from shared.domain.core.state import (
    CancelTimer,
    PendingTimer,
    ScheduleTimer,
    schedule_name,
)
from shared.domain.run.context import DecisionContext
from shared.domain.run.decision import match_document

# A timer due in the past (late event) fires this long after now instead.
MIN_TIMER_LEAD = timedelta(minutes=1)


def take_fired(ctx: DecisionContext, event: TimerFired) -> PendingTimer | None:
    """The pending timer a fire is for, disarmed (Scheduler deletes a schedule that ran);
    None if the fire is stale (cancelled or re-armed since) and changes nothing."""
    pending = ctx.state.timers.get(event.timer)
    if pending is None or pending.generation != event.generation:
        # Cancelled or re-armed since this schedule was made: the fire is a no-op.
        ctx.trace(event.rule_id, f"timer {event.timer} #{event.generation} is stale: ignored")
        return None
    del ctx.state.timers[event.timer]
    return pending


def fire_rule_timer(ctx: DecisionContext, event: TimerFired, pending: PendingTimer) -> None:
    """A rule's own timer fired: slide it on, or re-check its condition and run its `then`."""
    rule = ctx.config.rules.get(pending.rule_id)
    spec = rule.timers.get(event.timer) if rule else None
    if rule is None or spec is None:
        ctx.trace(pending.rule_id, f"timer {event.timer} fired but its rule is gone: nothing to do")
        return
    schedule, condition = spec
    if schedule.slide_with is not None and schedule.after is not None:
        anchor = _player_time(ctx, schedule.slide_with)
        if anchor is not None and anchor + schedule.after > event.occurred_at + MIN_TIMER_LEAD:
            # The player did it again since: wait for `after` past the latest time.
            ctx.trace(rule.rule_id, f"timer {event.timer}: {schedule.slide_with} moved on")
            arm_timer(ctx, rule.rule_id, event.timer, anchor + schedule.after, "slide")
            return
    why_not = condition.explain(match_document(event, ctx.state)) if condition else None
    if why_not is not None:
        ctx.trace(rule.rule_id, f"timer {event.timer} fired; condition no longer holds ({why_not})")
    else:
        ctx.trace(rule.rule_id, "timer {} fired; condition holds", event.timer)
        ctx.execute(rule, schedule.then, path=f"timer.{event.timer}.")
    if schedule.repeat:
        # Re-armed whether or not the condition held: next year's birthday still counts.
        due = due_for(ctx, schedule, event.occurred_at)
        if due is not None:
            arm_timer(ctx, rule.rule_id, event.timer, due, "repeat")


def _player_time(ctx: DecisionContext, name: str) -> datetime | None:
    value = getattr(ctx.state.profile, name, None)
    return value if isinstance(value, datetime) else None


def schedule(ctx: DecisionContext, rule: CompiledRule, action: ScheduleAction, path: str) -> None:
    spec = action.schedule
    due = due_for(ctx, spec, ctx.event.occurred_at)
    if due is None:
        ctx.trace(rule.rule_id, f"timer {spec.timer}: no {spec.at_next} known, not armed")
        return
    pending = ctx.state.timers.get(spec.timer)
    if (
        spec.slide_with is not None
        and pending is not None
        and pending.rule_id == rule.rule_id
        and pending.due_at <= due
    ):
        # A sliding timer already armed, due no later than this would be: when it fires
        # it re-arms itself at the latest `slide_with` + `after`. Re-arming it on every
        # event would only be one more schedule write (and Scheduler call) per event.
        ctx.trace(
            rule.rule_id,
            f"timer {spec.timer}: already armed; it slides on with {spec.slide_with}",
        )
        return
    arm_timer(ctx, rule.rule_id, spec.timer, due, path)


def due_for(ctx: DecisionContext, spec: Schedule, after: datetime) -> datetime | None:
    """When a timer armed at `after` is due: a duration later, or a calendar moment."""
    if spec.after is not None:
        return after + spec.after
    profile = ctx.state.profile
    tz = zone(profile.time_zone)
    if spec.at_next == "birthday" and profile.birth_date:
        _, month, day = (int(p) for p in profile.birth_date.split("-"))
        return next_local_occurrence(month, day, spec.local_time, tz, after)
    if spec.at_next == "predicted_restock":
        return restock_moment(ctx, spec.local_time, after)
    if spec.at_next == "registration_anniversary" and profile.registered_at:
        registered = profile.registered_at.astimezone(tz)
        # Not the registration day itself: the first anniversary is a year on.
        earliest = max(after, profile.registered_at + timedelta(days=300))
        return next_local_occurrence(
            registered.month, registered.day, spec.local_time, tz, earliest
        )
    return None


def restock_moment(ctx: DecisionContext, local_time: str, after: datetime) -> datetime | None:
    """The first predicted restock after `after` of the event's products (a purchase's
    lines), or of anything the player bought, on that local day at `local_time`."""
    shop = ctx.state.shop
    lines = ctx.event.value_of("products") or []
    skus = [line.sku for line in lines if line.sku in shop.bought] or sorted(shop.bought)
    upcoming = [when for sku in skus if (when := predicted_restock(shop, sku)) and when > after]
    if not upcoming:
        return None
    tz = zone(ctx.state.profile.time_zone)
    predicted = min(upcoming)
    hour, minute = (int(part) for part in local_time.split(":"))
    moment = datetime.combine(predicted.astimezone(tz).date(), time(hour, minute), tz)
    # Earlier that day than `after` (a reminder armed at 11:00 for 09:00): the prediction.
    return (moment if moment > after else predicted).astimezone(UTC)


def arm_timer(
    ctx: DecisionContext,
    rule_id: str,
    timer: str,
    due: datetime,
    path: str,
    payload: dict[str, Any] | None = None,
) -> None:
    """Arm (or re-arm: same schedule name, next generation) a timer of this player."""
    previous = ctx.state.timers.get(timer)
    ctx.state.timer_seq += 1
    due_at = due.astimezone(UTC)
    fire_at = max(due_at, ctx.now.astimezone(UTC) + MIN_TIMER_LEAD)
    name = schedule_name(ctx.event.player_id, timer)
    ctx.state.timers[timer] = PendingTimer(
        rule_id=rule_id,
        due_at=due_at,
        generation=ctx.state.timer_seq,
        schedule_name=name,
        payload=payload,
    )
    ctx.to_outbox(
        rule_id,
        path,
        ScheduleTimer(
            timer=timer,
            rule_id=rule_id,
            schedule_name=name,
            due_at=due_at,
            fire_at=fire_at,
            generation=ctx.state.timer_seq,
        ),
    )
    verb = "re-armed" if previous else "armed"
    ctx.trace(rule_id, f"timer {timer} {verb} for {due_at.isoformat()}")


def cancel(ctx: DecisionContext, rule_id: str, timer: str, path: str, why: str = "") -> None:
    """Disarm a pending timer (its schedule is deleted); `why` ends the trace line."""
    pending = ctx.state.timers.pop(timer, None)
    if pending is None:
        ctx.trace(rule_id, f"cancel timer {timer}: none pending")
        return
    ctx.to_outbox(
        rule_id,
        path,
        CancelTimer(
            timer=timer, schedule_name=pending.schedule_name, generation=pending.generation
        ),
    )
    ctx.trace(rule_id, "timer {} cancelled{}", timer, why)
