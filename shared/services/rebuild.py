"""Rebuild: every player's state, ledger, leaderboard entries and pending timers from the
event history.

The history is what the bus archive kept (locally: the archive moto holds; in AWS: a replay
of the archive into a rebuild queue, docs/deploy.md "Recovery"). Each player's events are
sorted by event time and decided by the real engine in rebuild mode, into fresh tables:

- every event is decided at its ripening time (`occurred_at + W`), as the live engine does
  with the reorder window on, so a history that was delivered within W gives exactly the
  live outcome;
- pending timers whose due time is not after the rebuild's as-of time are fired in their
  place (as they fired live); the others are left pending in the state and listed;
- nothing is performed: effects are collected and reported, never written to the outbox,
  so no message is sent again, no schedule is armed and nothing is published. Refused
  events and compliance alerts go to the report, not to the DLQ or the alert topic.

Timers are armed as real schedules only when asked (`arm_timers`), after the rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.domain.core.reorder import timer_event_id
from shared.domain.core.state import OutboxItem, PendingTimer, PlayerState, ScheduleTimer
from shared.domain.run.run_timers import MIN_TIMER_LEAD
from shared.services.engine import EngineService
from shared.services.engine_batch import InboundRecord


class StateReader(Protocol):
    def state(self, player_id: str) -> PlayerState | None: ...


class SchedulePort(Protocol):
    def upsert(self, player_id: str, effect: ScheduleTimer) -> str: ...


@dataclass(frozen=True)
class ListedTimer:
    player_id: str
    timer: str
    rule_id: str
    due_at: datetime
    generation: int
    schedule_name: str


@dataclass
class RebuildReport:
    """What a rebuild did, and what it deliberately did not do."""

    as_of: datetime | None
    players: int = 0
    events: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    # Effects decided but not performed, by kind ("send", "schedule_timer", ...).
    withheld: Counter[str] = field(default_factory=Counter)
    withheld_items: list[OutboxItem] = field(default_factory=list)
    timers: list[ListedTimer] = field(default_factory=list)
    armed: list[str] = field(default_factory=list)
    # Events after the as-of time, left held in the state (decided by a live engine later).
    still_held: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "players": self.players,
            "events": self.events,
            "refused": [{"reason": r, "message_id": m} for m, r in self.refused],
            "alerts_not_sent": len(self.alerts),
            "effects_not_performed": dict(sorted(self.withheld.items())),
            "pending_timers": [
                {
                    "player_id": t.player_id,
                    "timer": t.timer,
                    "due_at": t.due_at.isoformat(),
                    "generation": t.generation,
                }
                for t in self.timers
            ],
            "schedules_armed": self.armed,
            "still_held": self.still_held,
        }


class CollectedDeadLetters:
    """The rebuild's DLQ: refused events are reported, never parked again."""

    def __init__(self, report: RebuildReport) -> None:
        self._report = report

    def send(self, body: str, reason: str, source_message_id: str) -> None:
        self._report.refused.append((source_message_id, reason))


class CollectedAlerts:
    """The rebuild's compliance topic: the live run already raised these alerts."""

    def __init__(self, report: RebuildReport) -> None:
        self._report = report

    def alert(self, subject: str, message: Mapping[str, Any]) -> str:
        self._report.alerts.append(subject)
        return f"not-sent-{len(self._report.alerts)}"


def _peek(body: str) -> tuple[str, datetime | None, str]:
    """(player id, event time, message id) of an archived envelope, as far as readable."""
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    detail = data.get("detail") if isinstance(data, dict) else None
    detail = detail if isinstance(detail, dict) else {}
    player = detail.get("player_id")
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(str(detail.get("occurred_at")).replace("Z", "+00:00"))
        when = when if when.tzinfo else None
    except ValueError:
        when = None
    message_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(message_id, str) or not message_id:
        message_id = hashlib.sha256(body.encode()).hexdigest()[:32]
    return (player if isinstance(player, str) else ""), when, message_id


def rebuild_as_of(bodies: Sequence[str]) -> datetime | None:
    """The latest event time in the history: the default as-of time of a rebuild."""
    times = [when for _, when, _ in (_peek(b) for b in bodies) if when is not None]
    return max(times).astimezone(UTC) if times else None


class RebuildService:
    """Feeds a history, player by player in event-time order, to an engine in rebuild mode."""

    def __init__(
        self,
        make_engine: Callable[[RebuildReport, datetime], EngineService],
        states: StateReader,
        index_boards: Callable[[str, PlayerState], None] | None = None,
    ) -> None:
        # The engine is made per rebuild: it needs the as-of time and the report's sinks.
        self._make_engine = make_engine
        self._states = states
        # Leaderboard entries are written from the live table's stream (board_index.py); a
        # fresh table's may reach no index function, so each rebuilt player's are put here.
        self._index_boards = index_boards

    def rebuild(self, history: Iterable[str], as_of: datetime | None = None) -> RebuildReport:
        bodies = list(history)
        as_of = as_of or rebuild_as_of(bodies)
        report = RebuildReport(as_of=as_of)
        if as_of is None:
            return report
        engine = self._make_engine(report, as_of)
        by_player: dict[str, list[tuple[datetime, str, InboundRecord]]] = defaultdict(list)
        far = datetime.max.replace(tzinfo=UTC)
        for body in bodies:
            player, when, message_id = _peek(body)
            key = (when or far).astimezone(UTC)
            by_player[player].append((key, message_id, InboundRecord(message_id, body)))
        for player in sorted(by_player):
            records = [r for _, _, r in sorted(by_player[player], key=lambda t: (t[0], t[1]))]
            # One call per player: the engine orders, dedupes and chunks it into transactions.
            outcome = engine.process(records)
            if outcome.failed_message_ids:
                raise RuntimeError(
                    f"rebuild of player {player!r} failed: {len(outcome.failed_message_ids)}"
                    " records could not be committed (throttled or conflicting); run it again"
                )
            report.events += len(records) - len(outcome.refused)
            state = self._states.state(player) if player else None
            if state is None:
                continue
            report.players += 1
            if self._index_boards is not None and state.boards:
                self._index_boards(player, state)
            report.still_held += len(state.hold.events)
            report.timers += [
                _listed(player, name, pending) for name, pending in sorted(state.timers.items())
            ]
        return report

    @staticmethod
    def withhold(report: RebuildReport) -> Callable[[OutboxItem], None]:
        """The engine's sink for effects: counted and kept for the report, never performed."""

        def sink(item: OutboxItem) -> None:
            report.withheld[item.effect.kind] += 1
            report.withheld_items.append(item)

        return sink


def _listed(player_id: str, timer: str, pending: PendingTimer) -> ListedTimer:
    return ListedTimer(
        player_id=player_id,
        timer=timer,
        rule_id=pending.rule_id,
        due_at=pending.due_at,
        generation=pending.generation,
        schedule_name=pending.schedule_name,
    )


def arm_timers(report: RebuildReport, schedules: SchedulePort, now: datetime) -> list[str]:
    """Create the real schedule of every listed pending timer (asked for explicitly).

    A timer already due fires a minute from now, as a late arm does live. The schedule
    carries the pending generation, so its fire is the one the rebuilt state expects.
    """
    armed: list[str] = []
    for t in report.timers:
        effect = ScheduleTimer(
            timer=t.timer,
            rule_id=t.rule_id,
            schedule_name=t.schedule_name,
            due_at=t.due_at,
            fire_at=max(t.due_at, now + MIN_TIMER_LEAD),
            generation=t.generation,
        )
        schedules.upsert(t.player_id, effect)
        armed.append(timer_event_id(t.schedule_name, t.generation))
    report.armed = armed
    return armed
