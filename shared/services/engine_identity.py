"""The engine's identity paths (docs/identity.md): `player.merged` across two players in
one transaction, and the later events of a merged id routed to the player it became.

A mixin of EngineService, kept apart so the batch flow in engine.py stays about batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from events.models import EventDetail, PlayerMerged
from shared.adapters.player_store import Commit
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PlayerState
from shared.domain.players.contacts import CONTACT_CHANNELS, contact_key
from shared.domain.run.decide import decide
from shared.domain.run.decision import Decision
from shared.errors import TooLargeError
from shared.metric_names import (
    CONTACTS_DUPLICATE,
    EVENTS_APPLIED,
    EVENTS_DUPLICATE,
    FIELDS_DROPPED,
    PLAYERS_MERGED,
)
from shared.services.engine_batch import BatchOutcome, EngineObserver, PendingEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.adapters.player_store import PlayerStore
    from shared.clock import Clock
    from shared.metrics import MetricsPort

# An alias of an alias of ... : merges chain (A into B, later B into C). Past this many
# hops something is wrong (a cycle written behind our back): refuse rather than loop.
MAX_ALIAS_HOPS = 8
MAX_MERGE_ATTEMPTS = 5


class EngineIdentity:
    """Merges and alias routing for EngineService (see the module docstring)."""

    _alias_hops: int = 0
    # EngineService's, which this mixin is part of.
    _players: PlayerStore
    _metrics: MetricsPort
    _observer: EngineObserver
    _clock: Clock
    _dedupe_for: timedelta

    def _apply_player(
        self,
        player_id: str,
        pendings: list[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        raise NotImplementedError

    def _refuse_event(self, pending: PendingEvent, reason: str, outcome: BatchOutcome) -> None:
        raise NotImplementedError

    def _retry_conflicts(self, player_id: str, attempts: int, attempt: Callable[[], None]) -> None:
        raise NotImplementedError

    def _commit(
        self,
        player_id: str,
        version: int,
        decision: Decision,
        event_ids: list[str],
        decision_events: Sequence[EventDetail],
    ) -> PlayerState:
        raise NotImplementedError

    def apply_with_identity(
        self,
        player_id: str,
        pendings: list[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        """A player's events of a batch; a `player.merged` among them is applied after the
        others, each in its own two-player transaction."""
        merges = [p for p in pendings if isinstance(p.event, PlayerMerged)]
        rest = [p for p in pendings if not isinstance(p.event, PlayerMerged)]
        if rest:
            self._apply_player(player_id, rest, config, outcome)
        for pending in merges:
            self._apply_merge(player_id, pending, config, outcome)

    def route_to_alias(
        self,
        alias: str,
        pendings: Sequence[PendingEvent],
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        """Events for a merged id: applied to the player it was merged into."""
        if self._alias_hops >= MAX_ALIAS_HOPS:
            for pending in pendings:
                self._refuse_event(
                    pending, f"player_id: more than {MAX_ALIAS_HOPS} merged aliases", outcome
                )
            return
        moved = [_rekeyed(p, alias) for p in pendings]
        self._alias_hops += 1
        try:
            self.apply_with_identity(alias, moved, config, outcome)
        finally:
            self._alias_hops -= 1

    def _apply_merge(
        self,
        player_id: str,
        pending: PendingEvent,
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        # Either player written meanwhile: reload both and merge again.
        try:
            self._retry_conflicts(
                player_id,
                MAX_MERGE_ATTEMPTS,
                lambda: self._try_merge(player_id, pending, config, outcome),
            )
        except TooLargeError as exc:
            self._refuse_event(pending, f"player.merged: {exc}", outcome)

    def _try_merge(
        self,
        player_id: str,
        pending: PendingEvent,
        config: ConfigSnapshot,
        outcome: BatchOutcome,
    ) -> None:
        event = pending.event
        assert isinstance(event, PlayerMerged)
        survivor = self._players.load(player_id, [event.event_id])
        if event.event_id in survivor.seen_event_ids:
            self._observer.duplicates(player_id, [event.event_id])
            self._metrics.count(EVENTS_DUPLICATE)
            # A merge interrupted after its commit finishes on redelivery.
            self._players.move_reversible(event.merged_player_id, player_id)
            return
        if survivor.state.merged_into is not None:
            # The survivor was itself merged away since: merge into what it became.
            if survivor.state.merged_into == event.merged_player_id:
                self._refuse_event(
                    pending,
                    f"player_id: {player_id} was merged into {event.merged_player_id}; "
                    "a player cannot be merged into its own alias",
                    outcome,
                )
                return
            self.route_to_alias(survivor.state.merged_into, [pending], config, outcome)
            return
        source = self._players.load(event.merged_player_id, [])
        already = source.state.merged_into
        if already is not None and already != player_id:
            self._refuse_event(
                pending,
                f"merged_player_id: {event.merged_player_id} was merged into {already} already",
                outcome,
            )
            return
        keys = [
            contact_key(channel, value)
            for channel in CONTACT_CHANNELS
            if (value := getattr(source.state.profile, channel)) is not None
        ]
        state = survivor.state
        state.contact_owners = self._players.contact_owners(keys)
        state.merge_source = source.state
        now = self._clock.now()
        decision = decide(state, event, config, now)
        merged = decision.merged_source
        if merged is None:
            # Merged into this player already (by another event id): just mark it applied.
            self._commit(player_id, state.version, decision, [event.event_id], [event])
            return
        self._players.commit_merge(
            _commit_of(player_id, state.version, decision, [event.event_id]),
            Commit(
                player_id=event.merged_player_id,
                state=merged.state,
                expected_version=source.state.version,
                event_ids=[],
                ledger=merged.ledger,
                outbox=merged.outbox,
                audit=merged.audit,
            ),
            now=now,
            dedupe_for=self._dedupe_for,
        )
        self._players.move_reversible(event.merged_player_id, player_id)
        self._observer.decided(player_id, decision)
        self._metrics.count(EVENTS_APPLIED)
        self._metrics.count(PLAYERS_MERGED)

    def count_hygiene(self, decision: Decision, events: Sequence[EventDetail]) -> None:
        """Metrics for fields dropped and duplicate contacts found, once per commit."""
        dropped = sum(len(e.dropped_fields) for e in events)
        if dropped:
            self._metrics.count(FIELDS_DROPPED, dropped)
        if decision.duplicates:
            self._metrics.count(CONTACTS_DUPLICATE, len(decision.duplicates))


def _rekeyed(pending: PendingEvent, player_id: str) -> PendingEvent:
    event = pending.event.model_copy(update={"player_id": player_id})
    return PendingEvent(event, pending.body, pending.message_ids)


def _commit_of(player_id: str, version: int, decision: Decision, event_ids: list[str]) -> Commit:
    """The survivor's side of a merge (what EngineService._commit writes, without budgets:
    a merge claims none)."""
    return Commit(
        player_id=player_id,
        state=decision.state,
        expected_version=version,
        event_ids=event_ids,
        ledger=decision.ledger,
        outbox=decision.outbox,
        audit=decision.audit,
        contacts=decision.contacts,
        duplicates=decision.duplicates,
        resolved=decision.resolved,
        boards=decision.board_entries,
    )
