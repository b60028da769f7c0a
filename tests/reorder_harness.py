"""A fast, in-memory pipeline for order tests: the real EngineService over a fake player
store, with a fake scheduler that fires timers (and reorder wake-ups) by a virtual clock.

Deliveries are (arrival time, event); the harness interleaves them with due schedules in
time order, as SQS and EventBridge Scheduler would, and records every effect.
"""

from __future__ import annotations

import heapq
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from events.models import INTERNAL_SOURCE, EventDetail, TimerFired
from shared.adapters.player_store import Commit, Loaded, PlayerStore
from shared.clock import FixedClock
from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.reorder import WAKE_RULE, WAKE_TIMER, detail_json, timer_event_id
from shared.domain.core.state import (
    AuditEntry,
    CancelTimer,
    LedgerEntry,
    OutboxItem,
    PlayerState,
    PublishEvent,
    ScheduleTimer,
    SendMessage,
    reversible_changes,
)
from shared.errors import ConflictError
from shared.local.embedded import starter_items
from shared.services.config_cache import ConfigCache
from shared.services.engine import EngineService
from shared.services.engine_batch import InboundRecord


class MemoryPlayerStore:
    """The PlayerStore calls the engine makes, in memory, with its version check and
    put-if-absent semantics (a second write of a marker, line or outbox item conflicts)."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.markers: dict[str, set[str]] = {}
        self.ledger_lines: dict[str, dict[str, LedgerEntry]] = {}
        self.outbox_items: dict[str, dict[str, OutboxItem]] = {}
        self.audits: dict[str, dict[str, AuditEntry]] = {}
        self.reversible: dict[str, dict[tuple[str, str], LedgerEntry]] = {}
        # The contact index: contact key -> its first player (first come, first owner).
        self.contact_index: dict[str, str] = {}
        self.commits = 0

    def load(
        self,
        player_id: str,
        event_ids: Iterable[str],
        reversals: Iterable[str] = (),
        contacts: Iterable[str] = (),
        likely_seen: Iterable[str] = (),
        occurred: object = None,
    ) -> Loaded:
        # Reads every marker (a consistent store): likely_seen only narrows eventual reads,
        # and where the real store looks an id up (`occurred`) does not change the answer.
        from shared.adapters.player_store import _earning

        state = (
            PlayerState.model_validate_json(self.states[player_id])
            if player_id in self.states
            else PlayerState.new(player_id)
        )
        state.version = self.versions.get(player_id, 0)
        seen = set(event_ids) & self.markers.get(player_id, set())
        for source in sorted(set(reversals)):
            earnings = [
                _earning(line)
                for (src, _), line in sorted(self.reversible.get(player_id, {}).items())
                if src == source
            ]
            if earnings:
                state.wallet.reversible[source] = earnings
        state.contact_owners = {k: self.contact_index.get(k, "") for k in sorted(set(contacts))}
        return Loaded(state=state, seen_event_ids=seen)

    def commit(self, commit: Commit, now: datetime, dedupe_for: timedelta) -> None:
        pid = commit.player_id
        if self.versions.get(pid, 0) != commit.expected_version:
            raise ConflictError("version")
        markers = self.markers.setdefault(pid, set())
        ledger = self.ledger_lines.setdefault(pid, {})
        outbox = self.outbox_items.setdefault(pid, {})
        if markers & set(commit.event_ids):
            raise ConflictError("marker exists")
        if any(e.entry_id in ledger for e in commit.ledger):
            raise ConflictError("ledger line exists")
        if any(o.outbox_id in outbox for o in commit.outbox):
            raise ConflictError("outbox item exists")
        if any(
            self.contact_index.get(c.key, pid) != pid for c in commit.contacts if not c.previous
        ):
            raise ConflictError("contact claimed meanwhile")
        self.contact_index.update({c.key: pid for c in commit.contacts})
        self.versions[pid] = commit.expected_version + 1
        self.states[pid] = commit.state.model_dump_json(exclude_defaults=True)
        markers.update(commit.event_ids)
        ledger.update({e.entry_id: e for e in commit.ledger})
        outbox.update({o.outbox_id: o for o in commit.outbox})
        self.audits.setdefault(pid, {}).update({a.audit_id: a for a in commit.audit})
        rev = self.reversible.setdefault(pid, {})
        for key, line in reversible_changes(commit.ledger).items():
            if line is None:
                rev.pop(key, None)
            else:
                rev[key] = line
        self.commits += 1

    def put_audit(self, entry: AuditEntry) -> None:
        self.audits.setdefault(entry.player_id, {}).setdefault(entry.audit_id, entry)

    def state(self, player_id: str) -> PlayerState | None:
        if player_id not in self.states:
            return None
        return PlayerState.model_validate_json(self.states[player_id])


class FixedConfig:
    """A ConfigCache that always answers one snapshot."""

    def __init__(self, snapshot: ConfigSnapshot) -> None:
        self._snapshot = snapshot

    def current(self) -> ConfigSnapshot:
        return self._snapshot


class Recorder:
    """Dead letters and compliance alerts, kept in lists."""

    def __init__(self) -> None:
        self.dead: list[tuple[str, str]] = []
        self.alerts: list[str] = []

    def send(self, body: str, reason: str, source_message_id: str) -> None:
        self.dead.append((reason, body))

    def alert(self, subject: str, message: Any) -> str:
        self.alerts.append(subject)
        return "alert-1"


def starter_config() -> ConfigSnapshot:
    """The shipped starter rules, templates and game items (a broad mix of features)."""
    from importlib import resources

    game_dir = resources.files("shared.starter").joinpath("game")
    game = {
        kind: json.loads(game_dir.joinpath(f"{kind}.json").read_text(encoding="utf-8"))
        for kind in ("badge", "leaderboard", "mission", "points", "store_item", "tiers", "wheel")
        if game_dir.joinpath(f"{kind}.json").is_file()
    }
    snapshot = build_config(
        1,
        starter_items("rules.json"),
        starter_items("templates.json"),
        [{"policy_id": "engagement", "lifecycle": True}],
        game_items=game,
    )
    assert not snapshot.problems, snapshot.problems
    return snapshot


def envelope(event: EventDetail, source: str = "casino.example") -> str:
    if isinstance(event, TimerFired):
        source = INTERNAL_SOURCE
    return json.dumps(
        {
            "source": source,
            "detail-type": event.detail_type,
            "detail": json.loads(detail_json(event)),
        }
    )


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    kind: str = field(compare=False)
    bodies: tuple[str, ...] = field(compare=False)
    name: str = field(compare=False, default="")


@dataclass
class Run:
    """What one delivery order produced."""

    store: MemoryPlayerStore
    recorder: Recorder
    scheduled: list[str]
    publishes: list[str]
    # Reorder wake-ups armed (schedule calls) and fired (scheduled invocations).
    wakes_armed: int = 0
    wakes: int = 0

    def player_ids(self) -> list[str]:
        return sorted(self.store.states)


class Pipeline:
    """The engine, a fake store and a fake scheduler, driven by a virtual clock."""

    def __init__(
        self,
        config: ConfigSnapshot,
        window: timedelta,
        start: datetime,
        players: Any = None,
    ) -> None:
        """`players` replaces the in-memory store's engine side (e.g. a metered PlayerStore
        on moto); effects are still read from the in-memory store it must feed."""
        self.clock = FixedClock(start)
        self.store = MemoryPlayerStore()
        self.recorder = Recorder()
        self.engine = EngineService(
            players=cast(PlayerStore, players or self.store),
            config=cast(ConfigCache, FixedConfig(config)),
            dead_letters=self.recorder,
            alerts=self.recorder,
            clock=self.clock,
            dedupe_for=timedelta(days=30),
            sleep=lambda _: None,
            reorder_window=window,
        )
        self._queue: list[_Due] = []
        self._seq = 0
        # schedule name -> (generation, due entry): the newest generation wins, as in dispatch.
        self._schedules: dict[str, tuple[int, _Due]] = {}
        self._performed: set[str] = set()
        self.scheduled: list[str] = []
        self.publishes: list[str] = []
        self.wakes_armed = 0
        self.wakes = 0

    def deliver(self, arrivals: Sequence[tuple[datetime, EventDetail]]) -> None:
        """Each event alone in its SQS batch, at its arrival time."""
        for when, event in arrivals:
            self._push(when, "event", envelope(event))

    def deliver_batch(self, when: datetime, events: Sequence[EventDetail]) -> None:
        """Several events in one SQS batch."""
        self._push(when, "event", *(envelope(e) for e in events))

    def _push(self, when: datetime, kind: str, *bodies: str, name: str = "") -> _Due:
        self._seq += 1
        due = _Due(when.astimezone(UTC), self._seq, kind, bodies, name)
        heapq.heappush(self._queue, due)
        return due

    def run(self, until: datetime) -> Run:
        while self._queue and self._queue[0].at <= until:
            due = heapq.heappop(self._queue)
            if due.kind == "timer":
                current = self._schedules.get(due.name)
                if current is None or current[1] is not due:
                    continue  # replaced or cancelled
                del self._schedules[due.name]
                if due.name.startswith(WAKE_TIMER[:23] + "."):
                    self.wakes += 1
            if due.at > self.clock.now():
                self.clock.set(due.at)
            records = [InboundRecord(str(uuid.uuid4()), body) for body in due.bodies]
            outcome = self.engine.process(records)
            assert not outcome.failed_message_ids, outcome
            self._dispatch()
        return Run(
            self.store,
            self.recorder,
            self.scheduled,
            self.publishes,
            wakes_armed=self.wakes_armed,
            wakes=self.wakes,
        )

    def _dispatch(self) -> None:
        for pid, items in self.store.outbox_items.items():
            for outbox_id, item in items.items():
                if outbox_id in self._performed:
                    continue
                self._performed.add(outbox_id)
                effect = item.effect
                if isinstance(effect, ScheduleTimer):
                    current = self._schedules.get(effect.schedule_name)
                    if current is not None and current[0] >= effect.generation:
                        continue
                    fire = TimerFired(
                        player_id=pid,
                        event_id=timer_event_id(effect.schedule_name, effect.generation),
                        occurred_at=effect.due_at,
                        timer=effect.timer,
                        rule_id=effect.rule_id,
                        generation=effect.generation,
                    )
                    due = self._push(
                        effect.fire_at, "timer", envelope(fire), name=effect.schedule_name
                    )
                    self._schedules[effect.schedule_name] = (effect.generation, due)
                    if item.rule_id != WAKE_RULE:
                        self.scheduled.append(effect.schedule_name)
                    else:
                        self.wakes_armed += 1
                elif isinstance(effect, CancelTimer):
                    current = self._schedules.get(effect.schedule_name)
                    if current is not None and current[0] <= effect.generation:
                        del self._schedules[effect.schedule_name]
                elif isinstance(effect, PublishEvent):
                    self.publishes.append(effect.detail_type)


def outcome_of(store: MemoryPlayerStore, player_id: str) -> dict[str, Any]:
    """Everything a player ended with that order must not change, comparable with ==.

    Left out: the state's version and hold (how many commits it took), and the wake-up
    schedules (plumbing, not effects). A timer's `fire_at` is left out of the effects
    because it is clamped to the real time a decision ran; its due time is compared.
    """
    state = store.state(player_id)
    assert state is not None
    return {
        "state": state.model_dump(mode="json", exclude={"version", "hold"}),
        "ledger": sorted(
            e.model_dump_json() for e in store.ledger_lines.get(player_id, {}).values()
        ),
        "effects": sorted(
            _effect(o)
            for o in store.outbox_items.get(player_id, {}).values()
            if o.rule_id != WAKE_RULE
        ),
        "audit": sorted(a.model_dump_json() for a in store.audits.get(player_id, {}).values()),
    }


def _effect(item: OutboxItem) -> str:
    data = item.model_dump(mode="json")
    if isinstance(item.effect, ScheduleTimer):
        data["effect"].pop("fire_at")
    return json.dumps(data, sort_keys=True)


def is_send(item: OutboxItem) -> bool:
    return isinstance(item.effect, SendMessage)
