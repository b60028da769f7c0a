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
from shared.domain.players.engagement import LIFECYCLE_RULE
from shared.domain.run.decision import match_document
from shared.domain.run.run_base import RunBase

# A timer due in the past (late event) fires this long after now instead.
MIN_TIMER_LEAD = timedelta(minutes=1)


class TimersMixin(RunBase):
    """Timers in a decision: arming, cancelling, firing, sliding, calendar moments."""

    def fire_timer(self, event: TimerFired) -> bool:
        """Run a due timer's re-checked actions; False if the fire is stale and ignored."""
        pending = self.state.timers.get(event.timer)
        if pending is None or pending.generation != event.generation:
            # Cancelled or re-armed since this schedule was made: the fire is a no-op.
            self.trace(event.rule_id, f"timer {event.timer} #{event.generation} is stale: ignored")
            return False
        del self.state.timers[event.timer]
        if pending.rule_id == LIFECYCLE_RULE:
            self.fire_lifecycle(event)
            return True
        if pending.payload is not None:
            self.fire_builtin(pending, event)
            return True
        rule = self.config.rules.get(pending.rule_id)
        spec = rule.timers.get(event.timer) if rule else None
        if rule is None or spec is None:
            self.trace(
                pending.rule_id, f"timer {event.timer} fired but its rule is gone: nothing to do"
            )
            return True
        schedule, condition = spec
        if schedule.slide_with is not None and schedule.after is not None:
            anchor = self._player_time(schedule.slide_with)
            if anchor is not None and anchor + schedule.after > event.occurred_at + MIN_TIMER_LEAD:
                # The player did it again since: wait for `after` past the latest time.
                self.trace(rule.rule_id, f"timer {event.timer}: {schedule.slide_with} moved on")
                self.arm_timer(rule.rule_id, event.timer, anchor + schedule.after, "slide")
                return True
        why_not = condition.explain(match_document(event, self.state)) if condition else None
        if why_not is not None:
            self.trace(
                rule.rule_id, f"timer {event.timer} fired; condition no longer holds ({why_not})"
            )
        else:
            self.trace(rule.rule_id, f"timer {event.timer} fired; condition holds")
            self.execute(rule, schedule.then, path=f"timer.{event.timer}.")
        if schedule.repeat:
            # Re-armed whether or not the condition held: next year's birthday still counts.
            due = self.due_for(schedule, event.occurred_at)
            if due is not None:
                self.arm_timer(rule.rule_id, event.timer, due, "repeat")
        return True

    def _player_time(self, name: str) -> datetime | None:
        value = getattr(self.state.profile, name, None)
        return value if isinstance(value, datetime) else None

    def schedule(self, rule: CompiledRule, action: ScheduleAction, path: str) -> None:
        spec = action.schedule
        due = self.due_for(spec, self.event.occurred_at)
        if due is None:
            self.trace(rule.rule_id, f"timer {spec.timer}: no {spec.at_next} known, not armed")
            return
        pending = self.state.timers.get(spec.timer)
        if (
            spec.slide_with is not None
            and pending is not None
            and pending.rule_id == rule.rule_id
            and pending.due_at <= due
        ):
            # A sliding timer already armed, due no later than this would be: when it fires
            # it re-arms itself at the latest `slide_with` + `after`. Re-arming it on every
            # event would only be one more schedule write (and Scheduler call) per event.
            self.trace(
                rule.rule_id,
                f"timer {spec.timer}: already armed; it slides on with {spec.slide_with}",
            )
            return
        self.arm_timer(rule.rule_id, spec.timer, due, path)

    def due_for(self, spec: Schedule, after: datetime) -> datetime | None:
        """When a timer armed at `after` is due: a duration later, or a calendar moment."""
        if spec.after is not None:
            return after + spec.after
        profile = self.state.profile
        tz = zone(profile.time_zone)
        if spec.at_next == "birthday" and profile.birth_date:
            _, month, day = (int(p) for p in profile.birth_date.split("-"))
            return next_local_occurrence(month, day, spec.local_time, tz, after)
        if spec.at_next == "predicted_restock":
            return self.restock_moment(spec.local_time, after)
        if spec.at_next == "registration_anniversary" and profile.registered_at:
            registered = profile.registered_at.astimezone(tz)
            # Not the registration day itself: the first anniversary is a year on.
            earliest = max(after, profile.registered_at + timedelta(days=300))
            return next_local_occurrence(
                registered.month, registered.day, spec.local_time, tz, earliest
            )
        return None

    def restock_moment(self, local_time: str, after: datetime) -> datetime | None:
        """The first predicted restock after `after` of the event's products (a purchase's
        lines), or of anything the player bought, on that local day at `local_time`."""
        shop = self.state.shop
        lines = self.event.value_of("products") or []
        skus = [line.sku for line in lines if line.sku in shop.bought] or sorted(shop.bought)
        upcoming = [when for sku in skus if (when := predicted_restock(shop, sku)) and when > after]
        if not upcoming:
            return None
        tz = zone(self.state.profile.time_zone)
        predicted = min(upcoming)
        hour, minute = (int(part) for part in local_time.split(":"))
        moment = datetime.combine(predicted.astimezone(tz).date(), time(hour, minute), tz)
        # Earlier that day than `after` (a reminder armed at 11:00 for 09:00): the prediction.
        return (moment if moment > after else predicted).astimezone(UTC)

    def arm_timer(
        self,
        rule_id: str,
        timer: str,
        due: datetime,
        path: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Arm (or re-arm: same schedule name, next generation) a timer of this player."""
        previous = self.state.timers.get(timer)
        self.state.timer_seq += 1
        due_at = due.astimezone(UTC)
        fire_at = max(due_at, self.now.astimezone(UTC) + MIN_TIMER_LEAD)
        name = schedule_name(self.event.player_id, timer)
        self.state.timers[timer] = PendingTimer(
            rule_id=rule_id,
            due_at=due_at,
            generation=self.state.timer_seq,
            schedule_name=name,
            payload=payload,
        )
        self._outbox(
            rule_id,
            path,
            ScheduleTimer(
                timer=timer,
                rule_id=rule_id,
                schedule_name=name,
                due_at=due_at,
                fire_at=fire_at,
                generation=self.state.timer_seq,
            ),
        )
        verb = "re-armed" if previous else "armed"
        self.trace(rule_id, f"timer {timer} {verb} for {due_at.isoformat()}")

    def cancel(self, rule_id: str, timer: str, path: str) -> None:
        pending = self.state.timers.pop(timer, None)
        if pending is None:
            self.trace(rule_id, f"cancel timer {timer}: none pending")
            return
        self._outbox(
            rule_id,
            path,
            CancelTimer(
                timer=timer, schedule_name=pending.schedule_name, generation=pending.generation
            ),
        )
        self.trace(rule_id, f"timer {timer} cancelled")
