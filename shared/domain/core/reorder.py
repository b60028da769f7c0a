"""The reorder window: which of a player's events are decided now, in what order, at what time.

With a window W > 0 an event is decided once it is W old by event time ("ripe"), never
before, so every event delivered at most W after it happened finds its place in event-time
order (docs/design.md, "Ordering"). Three things make the outcome a function of the event
history alone, whatever the delivery order inside W:

- Held events wait in the player's state (`PlayerState.hold`), in event-time order.
- A ripe event is decided with `now` = its own `occurred_at + W` (the moment it ripened),
  not with the moment the Lambda happened to run, so caps, quiet hours, duplicate windows,
  audit retention and timer leads do not depend on delivery timing. An operator event that
  arrives already ripe (more than W late) is past the window: it is decided at the real
  time. Platform events (timer fires, prizes) keep their ripening time even when late.
- A pending timer whose due time has ripened is fired in its event-time place, even before
  its schedule delivers it: the fire is synthesized with the id the schedule would carry
  (`timer.<schedule name>.<generation>`), so the schedule's own delivery later finds it
  applied and changes nothing.

Pure: the engine passes the horizon (real now - W, or the rebuild's as-of time) and commits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from events.models import DETAIL_MODELS, INTERNAL_DETAIL_SOURCES, EventDetail, TimerFired
from shared.domain.core.hold import HeldEvent, Hold
from shared.domain.core.state import (
    OutboxItem,
    PlayerState,
    ScheduleTimer,
    schedule_name,
    stable_id,
)

# The wake-up schedule of a player whose held events have not ripened yet. Its fire is not
# an event to decide: it only makes the engine release what has ripened.
WAKE_TIMER = "engage.reorder"
WAKE_RULE = "engage.reorder"
# Wake-ups are rounded up to this grid, so a player who keeps playing is woken at most
# once per tick (their own events release what ripened in between).
WAKE_TICK = timedelta(seconds=30)
# A rebuild over years of a repeating timer fires it many times; this bounds one plan.
MAX_SYNTHESIZED_FIRES = 1000

Origin = Literal["held", "fresh", "timer"]


def timer_event_id(schedule: str, generation: int) -> str:
    """The event id a timer's schedule delivers (the scheduler adapter uses the same)."""
    return f"timer.{schedule}.{generation}"


def _key(event: EventDetail) -> tuple[datetime, str]:
    return (event.occurred_at.astimezone(UTC), event.event_id)


def is_wake(event: EventDetail) -> bool:
    """A reorder wake-up fire: it releases ripe events and is itself never decided."""
    return isinstance(event, TimerFired) and event.timer == WAKE_TIMER


def to_held(event: EventDetail) -> HeldEvent:
    return HeldEvent(
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        detail_type=event.detail_type,
        detail=detail_json(event),
    )


def detail_json(event: EventDetail) -> str:
    """The detail as sent: derived (computed) fields such as a round's outcome are left out,
    since the contract refuses them as input."""
    return event.model_dump_json(exclude=set(type(event).model_computed_fields))


def from_held(held: HeldEvent) -> EventDetail:
    """The event as it was validated when it arrived (its model re-validates the JSON)."""
    return DETAIL_MODELS[held.detail_type].model_validate_json(held.detail)


@dataclass(frozen=True)
class Step:
    """One event to decide, and the `now` to decide it with."""

    event: EventDetail
    now: datetime
    origin: Origin


@dataclass
class ReorderSequence:
    """Hands out a player's ripe events one by one in event-time order.

    `next(state)` looks at the state as decided so far, so a timer armed by an earlier
    step whose due time has ripened is fired in its place too.
    """

    candidates: Sequence[tuple[EventDetail, Origin]]
    horizon: datetime
    window: timedelta
    # Fresh events that arrived already ripe (late) are decided at this real time; None
    # (a rebuild) decides every event at its ripening time.
    late_now: datetime | None = None
    # What was handed out, by event id (the engine needs each step's event and origin).
    steps: dict[str, Step] = field(default_factory=dict)
    _offered: set[str] = field(default_factory=set)
    _synthesized: int = 0

    def __post_init__(self) -> None:
        self._pending = sorted(self.candidates, key=lambda c: _key(c[0]))
        self._ids = {e.event_id for e, _ in self._pending}

    def next(self, state: PlayerState) -> Step | None:
        best: tuple[EventDetail, Origin] | None = None
        for event, origin in self._pending:
            if event.event_id not in self._offered:
                best = (event, origin)
                break
        fire = self._due_fire(state)
        if fire is not None and (best is None or _key(fire) < _key(best[0])):
            best = (fire, "timer")
            self._synthesized += 1
        if best is None or best[0].occurred_at > self.horizon:
            return None
        event, origin = best
        self._offered.add(event.event_id)
        ripe = event.occurred_at + self.window
        now = ripe
        if (
            origin == "fresh"
            and self.late_now is not None
            and event.detail_type not in INTERNAL_DETAIL_SOURCES
        ):
            # An operator event ripe on arrival is past the window: it is not decided in
            # its event-time place anyway, and the real time (quiet hours, caps as they
            # stand now) is the honest `now`. Platform events (timer fires, prizes, ...)
            # carry a logical time and often arrive after it by design: they keep their
            # ripening time, so a rebuild decides them exactly as live.
            now = max(ripe, self.late_now)
        step = Step(event, now, origin)
        self.steps[event.event_id] = step
        return step

    def _due_fire(self, state: PlayerState) -> TimerFired | None:
        if self._synthesized >= MAX_SYNTHESIZED_FIRES:
            return None
        due: list[TimerFired] = []
        for timer, pending in state.timers.items():
            if pending.due_at > self.horizon:
                continue
            event_id = timer_event_id(pending.schedule_name, pending.generation)
            if event_id in self._offered or event_id in self._ids:
                continue
            try:
                due.append(
                    TimerFired(
                        player_id=state.profile.player_id,
                        event_id=event_id,
                        occurred_at=pending.due_at,
                        timer=timer,
                        rule_id=pending.rule_id,
                        generation=pending.generation,
                    )
                )
            except ValidationError:
                # Not expressible as a schedule's fire: its own schedule delivers it.
                continue
        return min(due, key=_key) if due else None

    def left(self) -> list[tuple[EventDetail, Origin]]:
        """Candidates not handed out: still unripe (or beyond the horizon)."""
        return [(e, o) for e, o in self._pending if e.event_id not in self._offered]


def wake_due(held: Iterable[HeldEvent], window: timedelta) -> datetime | None:
    """When the earliest held event ripens, rounded up to the wake grid."""
    first = min((h.occurred_at.astimezone(UTC) for h in held), default=None)
    if first is None:
        return None
    ripe = first + window
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    ticks = math.ceil((ripe - epoch) / WAKE_TICK)
    return epoch + ticks * WAKE_TICK


def next_hold(
    previous: Hold, held: Sequence[HeldEvent], window: timedelta, now: datetime
) -> tuple[Hold, ScheduleTimer | None]:
    """The hold to store and the wake schedule to (re-)arm, if one is needed.

    A wake that is already pending early enough is kept: no schedule call per event.
    """
    ordered = sorted(held, key=lambda h: (h.occurred_at.astimezone(UTC), h.event_id))
    needed = wake_due(ordered, window)
    if needed is None:
        return Hold(events=[], wake_at=None, wake_generation=previous.wake_generation), None
    pending = previous.wake_at
    if pending is not None and now < pending <= needed:
        return Hold(events=ordered, wake_at=pending, wake_generation=previous.wake_generation), None
    generation = previous.wake_generation + 1
    return Hold(events=ordered, wake_at=needed, wake_generation=generation), ScheduleTimer(
        timer=WAKE_TIMER,
        rule_id=WAKE_RULE,
        schedule_name="",
        due_at=needed,
        fire_at=max(needed, now + timedelta(seconds=1)),
        generation=generation,
    )


def wake_item(player_id: str, effect: ScheduleTimer, now: datetime) -> OutboxItem:
    """The outbox item arming a player's wake-up (one schedule name per player)."""
    named = effect.model_copy(update={"schedule_name": schedule_name(player_id, WAKE_TIMER)})
    return OutboxItem(
        outbox_id=stable_id(player_id, WAKE_RULE, str(effect.generation)),
        player_id=player_id,
        event_id=f"reorder.wake.{effect.generation}",
        rule_id=WAKE_RULE,
        created_at=now,
        effect=named,
    )
