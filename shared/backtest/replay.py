"""Replay players' histories through the pure decision core on a virtual clock.

Each player is replayed as the live pipeline would have handled them (shared/local/runtime.py
plays the same parts over moto):

- an input event is decided at its own event time (`now` = `occurred_at`);
- what the decision commits is dispatched at once: a send passes the send-time RG and
  consent re-check or is suppressed (as shared/services/dispatch.py does); a timer is armed
  in the player's queue of schedules, one per schedule name, a newer generation replacing an
  older one and a cancel deleting only its own generation or older (as
  shared/adapters/scheduler.py does); a derived event goes back into the player's queue, to
  be decided right after, with the same `now`, as the bus would bring it back;
- a timer fires at its fire time (whole seconds, as Scheduler's `at()` holds it), before an
  input event of the same instant, and is decided with `now` = that time; a stale one was
  replaced or deleted, so it never fires;
- an event id already applied is skipped (the engine's de-duplication).

Players are independent except for campaign budgets, a pool shared by everyone: all players
advance together in time order (one heap over every player's next item), and the pool is an
in-memory counter that each decision reads and claims, so a budget runs out at the same
moment in the replay as it would have live. (Replaying player after player when no pool is
shared was measured twice, at stops 27 and 29, and gained nothing: docs/backtest.md.)
Nothing here writes anywhere but memory.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from events.models import DETAIL_MODELS, EventDetail, TimerFired
from shared.adapters.scheduler import timer_event_id
from shared.backtest import collector
from shared.backtest.history import PlayerHistory
from shared.domain.authoring.rules import CompiledRule
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import (
    CancelTimer,
    OutboxItem,
    PlayerState,
    PublishEvent,
    ScheduleTimer,
    SendMessage,
)
from shared.domain.players.rg import gate
from shared.domain.run.decide import Decision, decide
from shared.domain.run.rule_probe import RuleProbe

SendStatus = Literal["done", "suppressed", "failed"]
# Order of items due at the same instant: a derived event first (it continues the decision
# that made it), then a timer (the runtime fires due schedules before the next event is
# sent), then an input event.
DERIVED, TIMER, INPUT = 0, 1, 2
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Dispatched:
    """What dispatch did with a queued send: delivered, suppressed at send time, or failed."""

    item: OutboxItem
    effect: SendMessage
    status: SendStatus
    reason: str | None
    at: datetime


class StepObserver(Protocol):
    """Told about every decided step of a run (the tallies, the test recorders).

    The run decides in place (the working copy is most of a decision's cost and the replay
    keeps no earlier state), so an observer reads `decision` during the call only: the
    next step of the same player changes that state.
    """

    def step(
        self,
        player_id: str,
        event: EventDetail,
        now: datetime,
        decision: Decision,
        sends: Sequence[Dispatched],
    ) -> None: ...


class ExplainObserver(Protocol):
    """Told about every step of one player's re-run, with the state before it (explain.py)."""

    def step(
        self,
        player_id: str,
        event: EventDetail,
        now: datetime,
        before: PlayerState,
        decision: Decision,
        sends: Sequence[Dispatched],
    ) -> None: ...


def dispatch_send(
    item: OutboxItem, effect: SendMessage, state: PlayerState, config: ConfigSnapshot, now: datetime
) -> Dispatched:
    """The send-time checks dispatch makes, against the state just committed."""
    if effect.category == "marketing":
        verdict = gate(state.rg, "marketing_message", (item.created_at, now))
        refused = state.profile.consent_refusal(effect.channel, effect.product)
        if not verdict.allowed:
            reason = verdict.reason or "responsible gaming"
            return Dispatched(item, effect, "suppressed", reason, now)
        if refused is not None:
            reason = f"{refused} (withdrawn before sending)"
            return Dispatched(item, effect, "suppressed", reason, now)
    if config.template(effect.template, effect.channel, effect.locale) is None:
        return Dispatched(item, effect, "failed", "template deleted before sending", now)
    return Dispatched(item, effect, "done", None, now)


@dataclass
class PlayerReplay:
    """One player's replay: state, armed schedules, derived events waiting, inputs left."""

    history: PlayerHistory
    state: PlayerState = field(init=False)
    steps: int = 0
    # Global step numbers of this player's steps (read only when a pool is shared: they
    # say which claims of the run came before each of this player's steps).
    step_numbers: list[int] = field(default_factory=list)
    _next_input: int = 0
    _timers: list[tuple[datetime, str, int]] = field(default_factory=list)
    _armed: dict[str, ScheduleTimer] = field(default_factory=dict)
    _derived: deque[tuple[EventDetail, datetime]] = field(default_factory=deque)
    _seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.state = PlayerState.new(self.history.player_id)

    @property
    def player_id(self) -> str:
        return self.history.player_id

    @property
    def pending_schedules(self) -> list[ScheduleTimer]:
        """Schedules still armed (what Scheduler would hold at the end of the run)."""
        return sorted(self._armed.values(), key=lambda s: (s.fire_at, s.schedule_name))

    def _live_timer(self) -> tuple[datetime, str, int] | None:
        while self._timers:
            _, name, generation = self._timers[0]
            armed = self._armed.get(name)
            if armed is not None and armed.generation == generation:
                return self._timers[0]
            heapq.heappop(self._timers)  # replaced or deleted: Scheduler no longer has it
        return None

    def peek(self) -> tuple[datetime, int] | None:
        """When this player's next item is due, and its kind (DERIVED, TIMER or INPUT)."""
        if self._derived:
            return self._derived[0][1], DERIVED
        timer = self._live_timer() if self._timers else None
        events = self.history.events
        event = events[self._next_input] if self._next_input < len(events) else None
        if timer is not None and (event is None or timer[0] <= event.occurred_at):
            return timer[0], TIMER
        if event is not None:
            return event.occurred_at, INPUT
        return None

    def pop(self, kind: int) -> tuple[EventDetail, datetime]:
        if kind == DERIVED:
            return self._derived.popleft()
        if kind == TIMER:
            at, name, generation = heapq.heappop(self._timers)
            effect = self._armed.pop(name)  # ActionAfterCompletion=DELETE
            fired = TimerFired(
                player_id=self.player_id,
                event_id=timer_event_id(name, generation),
                occurred_at=effect.due_at,
                timer=effect.timer,
                rule_id=effect.rule_id,
                generation=generation,
            )
            return fired, at
        event = self.history.events[self._next_input]
        self._next_input += 1
        return event, event.occurred_at

    def seen(self, event: EventDetail) -> bool:
        """True if already applied (a duplicate); otherwise remembers it."""
        if event.event_id in self._seen:
            return True
        self._seen.add(event.event_id)
        return False

    def commit(self, decision: Decision, config: ConfigSnapshot, now: datetime) -> list[Dispatched]:
        """Take the decided state and perform its outbox as dispatch would; returns the sends."""
        version = self.state.version + 1
        self.state = decision.state
        self.state.version = version
        self.steps += 1
        sends: list[Dispatched] = []
        for item in decision.outbox:
            effect = item.effect
            if isinstance(effect, SendMessage):
                sends.append(dispatch_send(item, effect, self.state, config, now))
            elif isinstance(effect, ScheduleTimer):
                self._upsert(effect)
            elif isinstance(effect, CancelTimer):
                armed = self._armed.get(effect.schedule_name)
                if armed is not None and armed.generation <= effect.generation:
                    del self._armed[effect.schedule_name]
            elif isinstance(effect, PublishEvent):
                self._republish(effect, now)
        return sends

    def _upsert(self, effect: ScheduleTimer) -> None:
        armed = self._armed.get(effect.schedule_name)
        if armed is not None and armed.generation >= effect.generation:
            return  # "kept newer"
        self._armed[effect.schedule_name] = effect
        at = effect.fire_at.replace(microsecond=0)
        heapq.heappush(self._timers, (at, effect.schedule_name, effect.generation))

    def _republish(self, effect: PublishEvent, now: datetime) -> None:
        model = DETAIL_MODELS.get(effect.detail_type)
        if model is None or effect.detail.get("player_id") != self.player_id:
            return  # not an event the engine queue takes back for this player
        computed = model.model_computed_fields
        detail = {k: v for k, v in effect.detail.items() if k not in computed}
        self._derived.append((model.model_validate(detail), now))


@dataclass
class PoolLedger:
    """Campaign budget pools in memory: usage per (rule, period), and when each claim came."""

    used: dict[tuple[str, str], int] = field(default_factory=dict)
    # Per pool: the global step numbers of its claims and the running total after each, so
    # one player can be re-run seeing every pool as it stood at each of their steps.
    _steps: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    _totals: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def claim(self, step: int, decision: Decision) -> None:
        for c in decision.claims:
            total = self.used.get(c.key, 0) + c.amount
            self.used[c.key] = total
            self._steps.setdefault(c.key, []).append(step)
            self._totals.setdefault(c.key, []).append(total)

    def usage_before(self, step: int) -> dict[tuple[str, str], int]:
        used: dict[tuple[str, str], int] = {}
        for key, steps in self._steps.items():
            n = bisect.bisect_left(steps, step)
            if n:
                used[key] = self._totals[key][n - 1]
        return used


@dataclass
class RunResult:
    players: list[PlayerReplay]
    pools: PoolLedger
    steps: int
    duplicates: int
    # With a probe (shared/domain/run/rule_probe.py): the players a decision of theirs met a
    # changed rule for.
    met_changed: set[str] = field(default_factory=set)


def all_rules(config: ConfigSnapshot) -> dict[str, CompiledRule]:
    """Every enabled rule of a config, by id (through the rule set's public lookup)."""
    return {r.rule_id: r for t in DETAIL_MODELS for r in config.rules.candidates(t)}


def has_campaign_budget(config: ConfigSnapshot) -> bool:
    """Whether players share a pool (then they cannot be replayed in separate processes)."""
    return any(
        r.rule.budget is not None and r.rule.budget.campaign is not None
        for r in all_rules(config).values()
    )


def run(
    histories: Sequence[PlayerHistory],
    config: ConfigSnapshot,
    until: datetime,
    observer: StepObserver | None = None,
    progress: Progress | None = None,
    progress_every: int = 5_000,
    probe: RuleProbe | None = None,
) -> RunResult:
    """Replay every player up to `until` (exclusive), all advancing together in time order.

    With `probe`, the result lists the players whose decisions met one of its rules."""
    with collector.paused():  # why: collector.py
        return _run(histories, config, until, observer, progress, progress_every, probe)


def _run(
    histories: Sequence[PlayerHistory],
    config: ConfigSnapshot,
    until: datetime,
    observer: StepObserver | None,
    progress: Progress | None,
    progress_every: int,
    probe: RuleProbe | None = None,
) -> RunResult:
    players = [PlayerReplay(h) for h in histories]
    met: set[str] = set()
    pools = PoolLedger()
    total = sum(len(h.events) for h in histories)
    inputs_done = 0
    heap: list[tuple[datetime, int, int]] = []
    for i, player in enumerate(players):
        due = player.peek()
        if due is not None and due[0] < until:
            heap.append((due[0], due[1], i))
    heapq.heapify(heap)
    step = duplicates = 0
    while heap:
        _, kind, i = heapq.heappop(heap)
        player = players[i]
        event, now = player.pop(kind)
        if kind == INPUT:
            inputs_done += 1
            if progress is not None and inputs_done % progress_every == 0:
                progress(inputs_done, total)
        if player.seen(event):
            duplicates += 1
        else:
            # No observer of a run reads the trace or the state's RFM score; explain
            # re-runs its players with both on.
            decision = decide(
                player.state,
                event,
                config,
                now,
                pools.used,
                in_place=True,
                traced=False,
                display_facts=False,
                probe=probe,
            )
            if probe is not None and probe.hit:
                met.add(player.player_id)
                probe.hit = False
            step += 1
            player.step_numbers.append(step)
            pools.claim(step, decision)
            sends = player.commit(decision, config, now)
            if observer is not None:
                observer.step(player.player_id, event, now, decision, sends)
        due = player.peek()
        if due is not None and due[0] < until:
            heapq.heappush(heap, (due[0], due[1], i))
    if progress is not None:
        progress(total, total)
    return RunResult(players, pools, step, duplicates, met)


def rerun_player(
    history: PlayerHistory,
    config: ConfigSnapshot,
    until: datetime,
    step_numbers: Sequence[int],
    pools: PoolLedger,
    observer: ExplainObserver,
) -> PlayerReplay:
    """Replay one player again, alone, seeing each campaign pool as it stood at that player's
    step in the full run (so an explanation matches what the full run decided)."""
    player = PlayerReplay(history)
    k = 0
    while (due := player.peek()) is not None and due[0] < until:
        event, now = player.pop(due[1])
        if player.seen(event):
            continue
        used = pools.usage_before(step_numbers[k]) if k < len(step_numbers) else dict(pools.used)
        k += 1
        before = player.state
        decision = decide(before, event, config, now, used)
        sends = player.commit(decision, config, now)
        observer.step(player.player_id, event, now, before, decision, sends)
    return player
