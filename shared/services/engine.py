"""The engine: a batch of queued events in, one transaction per player out.

Flow per batch: parse and validate every record (a malformed one is parked in the DLQ with
its reason and counts as handled), group the valid events by player, then per player:
load state + which events were already applied, decide in event-time order, commit once.
A lost version race reloads and decides again; a transient AWS error fails only that
player's records, which SQS redelivers while the rest of the batch succeeds.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import (
    CatalogDetail,
    CatalogFanoutContinued,
    ContractError,
    CoolOffStarted,
    DepositReversed,
    EventDetail,
    SelfExcluded,
    TimerFired,
    parse_contract_json,
)
from shared.adapters.game_pools import Claim, rule_budget_key
from shared.adapters.player_store import MAX_TRANSACTION_ITEMS, Commit, PlayerStore
from shared.adapters.publisher import PublishError
from shared.clock import Clock
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.hold import Hold
from shared.domain.core.reorder import (
    WAKE_RULE,
    Origin,
    ReorderSequence,
    Step,
    detail_json,
    from_held,
    is_wake,
    next_hold,
    to_held,
    wake_item,
)
from shared.domain.core.state import AuditEntry, OutboxItem, PlayerState, ScheduleTimer, stable_id
from shared.domain.measurement.budgets import BudgetClaim
from shared.domain.players.contacts import contact_keys
from shared.domain.players.rg import RgThresholds, salvaged_event_id
from shared.domain.run.decide import Decision, decide, order_events, with_claims
from shared.domain.run.run_timers import MIN_TIMER_LEAD
from shared.errors import ConflictError, ThrottledError
from shared.metric_names import (
    DECISION_LATENCY,
    EVENTS_APPLIED,
    EVENTS_DUPLICATE,
    EVENTS_REFUSED,
    TIMERS_FIRED,
)
from shared.metrics import MetricsPort, RecordingMetrics
from shared.services.catalog_fanout import CatalogFanout
from shared.services.config_cache import ConfigCache
from shared.services.engine_batch import (
    AlertPort,
    BatchOutcome,
    DeadLetterPort,
    EngineObserver,
    InboundRecord,
    PendingEvent,
    PoolUsagePort,
    SilentObserver,
    likely_seen_ids,
    windowed_times,
)
from shared.services.engine_identity import EngineIdentity

MAX_ATTEMPTS = 5
EXCLUSION_TYPES = (SelfExcluded.detail_type, CoolOffStarted.detail_type)
PLAYER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def _peek(body: str) -> tuple[str, dict[str, Any]]:
    """Best-effort look at a body that failed validation: (detail-type, detail)."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError:
        return "", {}
    if not isinstance(data, dict):
        return "", {}
    detail_type = data.get("detail-type")
    detail = data.get("detail")
    return (
        detail_type if isinstance(detail_type, str) else "",
        detail if isinstance(detail, dict) else {},
    )


def _aware_or(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        if parsed.tzinfo is not None:
            return parsed
    return fallback


@dataclass
class _Plan:
    """A player's decided chunks (each one transaction) and the events refused as too big."""

    chunks: list[tuple[Decision, list[str]]] = field(default_factory=list)
    too_big: list[tuple[str, str]] = field(default_factory=list)

    def claims(self) -> list[BudgetClaim]:
        return [c for decision, _ in self.chunks for c in decision.claims]


class EngineService(EngineIdentity):
    def __init__(
        self,
        players: PlayerStore,
        config: ConfigCache,
        dead_letters: DeadLetterPort,
        alerts: AlertPort,
        clock: Clock,
        dedupe_for: timedelta,
        observer: EngineObserver | None = None,
        sleep: Callable[[float], None] = time.sleep,
        metrics: MetricsPort | None = None,
        stopwatch: Callable[[], float] = time.perf_counter,
        pools: PoolUsagePort | None = None,
        catalog: CatalogFanout | None = None,
        reorder_window: timedelta = timedelta(0),
        rebuild_as_of: datetime | None = None,
        withheld: Callable[[OutboxItem], None] | None = None,
    ) -> None:
        # Reorder window hook (shared/domain/core/reorder.py, docs/design.md "Ordering"): with a
        # window, events wait until W old and are decided in event-time order. A rebuild
        # (shared/services/rebuild.py) decides everything up to `rebuild_as_of` that way.
        self._window = reorder_window
        self._rebuild_as_of = rebuild_as_of
        # A rebuild performs nothing: its effects go here instead of into the outbox.
        self._withheld = withheld
        self._sleep = sleep
        # Catalog events (price drops, restocks) fan out through this; without it they
        # are refused to the DLQ with the reason.
        self._catalog = catalog
        self._metrics: MetricsPort = metrics if metrics is not None else RecordingMetrics()
        self._stopwatch = stopwatch
        # Without a reader every pool is assumed unused: the claims' condition still holds
        # the limit, a full pool just costs a failed commit and a retry.
        self._pools = pools
        self._players = players
        self._config = config
        self._dead_letters = dead_letters
        self._alerts = alerts
        self._clock = clock
        self._dedupe_for = dedupe_for
        self._observer: EngineObserver = observer or SilentObserver()

    def process(self, records: Sequence[InboundRecord]) -> BatchOutcome:
        outcome = BatchOutcome()
        by_player: dict[str, dict[str, PendingEvent]] = defaultdict(dict)
        catalog: list[tuple[InboundRecord, CatalogDetail | CatalogFanoutContinued]] = []
        for record in records:
            try:
                parsed = parse_contract_json(record.body)
            except ContractError as exc:
                self._refuse(record, exc.reason, outcome)
                salvaged = self._rg_fallback(record, exc.reason)
                if salvaged is None:
                    continue
                parsed = salvaged
            if not isinstance(parsed, EventDetail):
                catalog.append((record, parsed))
                continue
            event = parsed
            # The same event twice in one batch is applied once; both records are settled
            # (or retried) together.
            pending = by_player[event.player_id].setdefault(
                event.event_id, PendingEvent(event, record.body, [])
            )
            pending.message_ids.append(record.message_id)
            pending.redelivered |= record.receive_count > 1
        if not by_player and not catalog:
            return outcome
        config = self._config.current()
        for record, news in catalog:
            self._fan_out(record, news, config, outcome)
        for player_id, pendings in by_player.items():
            try:
                self.apply_with_identity(player_id, list(pendings.values()), config, outcome)
            except (ThrottledError, ConflictError) as exc:
                self._observer.retrying(player_id, MAX_ATTEMPTS, type(exc).__name__)
                for p in pendings.values():
                    outcome.failed_message_ids.update(p.message_ids)
        return outcome

    def _fan_out(
        self,
        record: InboundRecord,
        news: CatalogDetail | CatalogFanoutContinued,
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        """One page of a catalog event's fan-out; a transient failure retries the record."""
        if self._catalog is None:
            self._refuse(
                record, f"{news.detail_type}: catalog fan-out is not configured here", outcome
            )
            return
        try:
            self._catalog.handle(news, config.shop.fanout_page)
        except (ThrottledError, PublishError) as exc:
            self._observer.retrying(f"catalog:{news.event_id}", 1, type(exc).__name__)
            outcome.failed_message_ids.add(record.message_id)

    def _rg_fallback(self, record: InboundRecord, reason: str) -> EventDetail | None:
        """A malformed responsible-gaming event is never just a quiet DLQ entry.

        It raises a compliance alert, and an exclusion whose player is readable is applied
        at once, conservatively, as an indefinite self-exclusion: a bad `until` or a
        missing optional field must not leave an excluded player in marketing. The
        operator's corrected event (same event_id) replaces it; `rg.exclusion_ended` lifts it.
        """
        detail_type, detail = _peek(record.body)
        if not detail_type.startswith("rg."):
            return None
        player_id = detail.get("player_id")
        readable = isinstance(player_id, str) and bool(PLAYER_ID.match(player_id))
        salvage: EventDetail | None = None
        if readable and detail_type in EXCLUSION_TYPES:
            original = detail.get("event_id")
            salvage = SelfExcluded(
                player_id=str(player_id),
                event_id=salvaged_event_id(
                    original if isinstance(original, str) else record.message_id
                ),
                occurred_at=_aware_or(detail.get("occurred_at"), self._clock.now()),
                until=None,
                scheme="salvaged",
            )
        self._observer.rg_refused(record.message_id, reason, salvaged=salvage is not None)
        if readable:
            now = self._clock.now()
            self._players.put_audit(
                AuditEntry(
                    audit_id=stable_id(record.message_id, "rg-refused"),
                    player_id=str(player_id),
                    occurred_at=now,
                    category="rg_event_refused",
                    stage="engine",
                    reason=f"malformed {detail_type}: {reason}",
                    inputs={"message_id": record.message_id, "salvaged": str(salvage is not None)},
                    event_id=str(detail.get("event_id") or record.message_id)[:256],
                    retain_until=now + timedelta(days=RgThresholds().audit_retention_days),
                )
            )
        self._alerts.alert(
            f"[engage] malformed {detail_type}",
            {
                "flag": "malformed_rg_event",
                "detail_type": detail_type,
                "player_id": str(player_id) if readable else "(unreadable)",
                "reason": reason,
                "message_id": record.message_id,
                "action": (
                    "applied as an indefinite self-exclusion until corrected"
                    if salvage
                    else "parked in the DLQ: fix and resend"
                ),
            },
        )
        return salvage

    def _refuse(self, record: InboundRecord, reason: str, outcome: BatchOutcome) -> None:
        self._observer.refused(record.message_id, reason)
        self._metrics.count(EVENTS_REFUSED)
        outcome.refused[record.message_id] = reason
        try:
            self._dead_letters.send(record.body, reason, record.message_id)
        except Exception:
            # Could not park it: let SQS redeliver rather than lose it.
            outcome.failed_message_ids.add(record.message_id)
            raise

    def _apply_player(
        self,
        player_id: str,
        pendings: list[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        started = self._stopwatch()
        self._retry_conflicts(
            player_id, MAX_ATTEMPTS, lambda: self._try_apply(player_id, pendings, config, outcome)
        )
        self._metrics.milliseconds(DECISION_LATENCY, (self._stopwatch() - started) * 1000.0)

    def _retry_conflicts(self, player_id: str, attempts: int, attempt: Callable[[], None]) -> None:
        """Run `attempt` until it commits: a ConflictError means another batch wrote the
        player meanwhile, so it reloads and decides again (the last conflict is raised)."""
        for n in range(1, attempts + 1):
            try:
                attempt()
                return
            except ConflictError as exc:
                if n == attempts:
                    raise
                self._observer.retrying(player_id, n, str(exc))
                # Jittered backoff so racing writers for one player stop colliding in lockstep.
                self._sleep(random.uniform(0, 0.02 * 2**n))  # noqa: S311 - not crypto

    def _try_apply(
        self,
        player_id: str,
        pendings: list[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        if self._window > timedelta(0) or self._rebuild_as_of is not None:
            self._try_apply_ordered(player_id, pendings, config, outcome)
            return
        events = {p.event.event_id: p for p in pendings}
        reversals = [
            f"deposit:{p.event.deposit_id}"
            for p in pendings
            if isinstance(p.event, DepositReversed)
        ]
        contacts = contact_keys(p.event for p in pendings)
        loaded = self._players.load(
            player_id,
            events,
            reversals,
            contacts,
            likely_seen=likely_seen_ids(pendings),
            occurred=windowed_times(p.event for p in pendings),
        )
        seen = sorted(loaded.seen_event_ids & events.keys())
        if seen:
            self._observer.duplicates(player_id, seen)
            self._metrics.count(EVENTS_DUPLICATE, len(seen))
        fresh = order_events(p.event for p in pendings if p.event.event_id not in seen)
        if not fresh:
            return
        if loaded.state.merged_into is not None:
            # A merged id: its events belong to the player it was merged into.
            alias = loaded.state.merged_into
            self.route_to_alias(alias, [events[e.event_id] for e in fresh], config, outcome)
            return
        now = self._clock.now()
        usage: dict[tuple[str, str], int] = {}
        plan = self._plan(loaded.state, fresh, config, now, usage)
        # Decide again with the budget pools' usage once the decision shows which it claims
        # (a reward that no longer fits is then suppressed instead of failing the commit).
        for _ in range(3):
            unread = sorted({c.key for c in plan.claims()} - usage.keys())
            if not unread or self._pools is None:
                break
            read = self._pools.usage([rule_budget_key(*key) for key in unread])
            usage.update({key: read.get(rule_budget_key(*key), 0) for key in unread})
            plan = self._plan(loaded.state, fresh, config, now, usage)
        for event_id, reason in plan.too_big:
            self._refuse_event(events[event_id], reason, outcome)
        version = loaded.state.version
        for decision, event_ids in plan.chunks:
            self._commit(
                player_id, version, decision, event_ids, [events[i].event for i in event_ids]
            )
            version += 1

    def _try_apply_ordered(
        self,
        player_id: str,
        pendings: list[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        """The reorder window: hold what is not W old yet, decide what is, in event-time order."""
        # A wake-up fire only makes us look at the hold; it is never decided or marked.
        events = {p.event.event_id: p for p in pendings if not is_wake(p.event)}
        reversals = [
            f"deposit:{p.event.deposit_id}"
            for p in events.values()
            if isinstance(p.event, DepositReversed)
        ]
        contacts = contact_keys(p.event for p in events.values())
        likely = likely_seen_ids(events.values())
        occurred = windowed_times(p.event for p in events.values())
        loaded = self._players.load(
            player_id, events, reversals, contacts, likely_seen=likely, occurred=occurred
        )
        hold = loaded.state.hold
        held = {h.event_id: from_held(h) for h in hold.events}
        more = sorted(
            {f"deposit:{e.deposit_id}" for e in held.values() if isinstance(e, DepositReversed)}
            - set(reversals)
        )
        held_contacts = sorted(set(contact_keys(held.values())) - set(contacts))
        if more or held_contacts:
            # A held reversal needs the earns it may claw back, and a held registration the
            # owners of its contacts, like fresh ones.
            loaded = self._players.load(
                player_id,
                events,
                [*reversals, *more],
                [*contacts, *held_contacts],
                likely_seen=likely,
                occurred=occurred,
            )
        seen = sorted((loaded.seen_event_ids | held.keys()) & events.keys())
        if seen:
            self._observer.duplicates(player_id, seen)
            self._metrics.count(EVENTS_DUPLICATE, len(seen))
        if loaded.state.merged_into is not None:
            # A merged id: its events belong to the player it was merged into, and so do the
            # ones it still held when the merge was applied (a merge is not held; the
            # survivor's dedupe makes routing them again on a later wake-up harmless).
            moved = [p for i, p in events.items() if i not in seen]
            moved += [
                PendingEvent(event, self._held_envelope(event), [f"held:{event.event_id}"])
                for event in held.values()
            ]
            if moved:
                self.route_to_alias(loaded.state.merged_into, moved, config, outcome)
            return
        candidates: list[tuple[EventDetail, Origin]] = [(e, "held") for e in held.values()]
        candidates += [(p.event, "fresh") for i, p in events.items() if i not in seen]
        now = self._clock.now()
        rebuilding = self._rebuild_as_of is not None
        horizon = self._rebuild_as_of if self._rebuild_as_of is not None else now - self._window
        # Decisions never carry the held events (they are not state a rule can see).
        base = loaded.state.model_copy(update={"hold": Hold()})
        sequences: list[ReorderSequence] = []

        def sequence() -> ReorderSequence:
            late_now = None if rebuilding else now
            sequences.append(ReorderSequence(candidates, horizon, self._window, late_now))
            return sequences[-1]

        usage: dict[tuple[str, str], int] = {}
        plan = self._plan(base, [], config, now, usage, sequence)
        for _ in range(3):
            unread = sorted({c.key for c in plan.claims()} - usage.keys())
            if not unread or self._pools is None:
                break
            read = self._pools.usage([rule_budget_key(*key) for key in unread])
            usage.update({key: read.get(rule_budget_key(*key), 0) for key in unread})
            plan = self._plan(base, [], config, now, usage, sequence)
        steps = sequences[-1].steps
        for event_id, reason in plan.too_big:
            self._refuse_step(events.get(event_id), steps[event_id], reason, outcome)
        left = [to_held(e) for e, _ in sequences[-1].left()]
        new_hold, wake = next_hold(hold, left, self._window, now)
        if rebuilding:
            wake = None  # a rebuild arms nothing; what it leaves held is reported
        chunks = plan.chunks
        if not chunks:
            if new_hold == hold and wake is None:
                return
            chunks = [(Decision(state=base), [])]
        version = loaded.state.version
        for index, (decision, event_ids) in enumerate(chunks):
            last = index == len(chunks) - 1
            if last:
                decision.state.hold = new_hold
                if wake is not None:
                    decision.outbox.append(wake_item(player_id, wake, now))
            else:
                # Events decided by later chunks stay held here, so a failed later commit
                # loses none of them; the wake-up is still the one already armed.
                later = [
                    to_held(steps[i].event)
                    for _, ids in chunks[index + 1 :]
                    for i in ids
                    if steps[i].origin != "timer"
                ]
                decision.state.hold = hold.model_copy(update={"events": later + new_hold.events})
            if not rebuilding:
                decision.outbox[:] = [_not_in_past(item, now) for item in decision.outbox]
            self._commit(
                player_id, version, decision, event_ids, [steps[i].event for i in event_ids]
            )
            version += 1

    def _refuse_step(
        self, pending: PendingEvent | None, step: Step, reason: str, outcome: BatchOutcome
    ) -> None:
        if pending is not None:
            self._refuse_event(pending, reason, outcome)
            return
        if step.origin == "timer":
            return  # a synthesized fire: its schedule's own delivery is refused in its turn
        # A held event has no SQS record any more: park it with a rebuilt envelope.
        body = self._held_envelope(step.event)
        self._refuse(InboundRecord(f"held:{step.event.event_id}", body), reason, outcome)

    @staticmethod
    def _held_envelope(event: EventDetail) -> str:
        """A held event as an envelope again (its SQS record is long deleted)."""
        return json.dumps(
            {
                "source": "engage.reorder",
                "detail-type": event.detail_type,
                "detail": json.loads(detail_json(event)),
            }
        )

    def _plan(
        self,
        state: PlayerState,
        fresh: Sequence[EventDetail],
        config: ConfigSnapshot,
        now: datetime,
        usage: Mapping[tuple[str, str], int],
        sequence: Callable[[], ReorderSequence] | None = None,
    ) -> _Plan:
        """Decide every fresh event, cut into chunks that each fit one transaction.

        With a `sequence` (the reorder window), it says which events, in what order and
        with what `now`; otherwise it is `fresh` in order, all decided at `now`.
        """
        plan = _Plan()
        chunk = Decision(state=state)
        chunk_events: list[str] = []
        steps = sequence() if sequence is not None else _FixedSteps(fresh, now)
        # With the reorder window the last transaction may also arm the wake-up.
        limit = MAX_TRANSACTION_ITEMS - (1 if sequence is not None else 0)
        while (next_step := steps.next(chunk.state)) is not None:
            event = next_step.event
            # Earlier chunks' claims are committed before this one: count them as used.
            claimed = with_claims(usage, [*plan.claims(), *chunk.claims])
            step = decide(chunk.state, event, config, next_step.now, claimed)
            writes = 1 + step.write_count
            if writes >= limit:
                reason = f"{event.detail_type}: implies {writes} writes, over the transaction limit"
                plan.too_big.append((event.event_id, reason))
                continue
            if 1 + len(chunk_events) + chunk.write_count + writes > limit:
                # Rare: many events for one player in one batch. Commit what fits, go on.
                plan.chunks.append((chunk, chunk_events))
                chunk, chunk_events = Decision(state=chunk.state), []
            chunk.extend(step)
            chunk_events.append(event.event_id)
        if chunk_events:
            plan.chunks.append((chunk, chunk_events))
        return plan

    def _commit(
        self,
        player_id: str,
        version: int,
        decision: Decision,
        event_ids: list[str],
        decision_events: Sequence[EventDetail],
    ) -> PlayerState:
        outbox: Sequence[OutboxItem] = decision.outbox
        if self._withheld is not None:
            outbox = []
        self._players.commit(
            Commit(
                player_id=player_id,
                state=decision.state,
                expected_version=version,
                event_ids=event_ids,
                ledger=decision.ledger,
                outbox=outbox,
                audit=decision.audit,
                claims=[
                    Claim(rule_budget_key(c.rule_id, c.period), c.amount, c.limit)
                    for c in decision.claims
                ],
                boards=decision.board_entries,
                contacts=decision.contacts,
                duplicates=decision.duplicates,
                interests=decision.interests,
                event_times=windowed_times(decision_events),
            ),
            now=self._clock.now(),
            dedupe_for=self._dedupe_for,
        )
        self.count_hygiene(decision, decision_events)
        if self._withheld is not None:
            for item in decision.outbox:
                self._withheld(item)
        self._observer.decided(player_id, decision)
        self._metrics.count(EVENTS_APPLIED, len(event_ids))
        fired = sum(1 for e in decision_events if isinstance(e, TimerFired))
        if fired:
            self._metrics.count(TIMERS_FIRED, fired)
        return decision.state.model_copy(update={"version": version + 1})

    def _refuse_event(self, pending: PendingEvent, reason: str, outcome: BatchOutcome) -> None:
        for message_id in pending.message_ids:
            if message_id not in outcome.refused:
                self._refuse(InboundRecord(message_id, pending.body), reason, outcome)


class _FixedSteps:
    """Without a reorder window: the batch's fresh events in order, all decided at `now`."""

    def __init__(self, fresh: Sequence[EventDetail], now: datetime) -> None:
        self._events = iter(fresh)
        self._now = now

    def next(self, state: PlayerState) -> Step | None:
        event = next(self._events, None)
        return None if event is None else Step(event, self._now, "fresh")


def _not_in_past(item: OutboxItem, now: datetime) -> OutboxItem:
    """A timer decided at its ripening time may be due before the real now: arm it ahead."""
    effect = item.effect
    if item.rule_id == WAKE_RULE:
        return item
    if isinstance(effect, ScheduleTimer) and effect.fire_at < now + MIN_TIMER_LEAD:
        fire_at = max(effect.fire_at, now + MIN_TIMER_LEAD)
        return item.model_copy(update={"effect": effect.model_copy(update={"fire_at": fire_at})})
    return item
