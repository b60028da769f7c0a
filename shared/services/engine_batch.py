"""What a batch of the engine is made of, and the ports it reports through.

Apart from engine.py so that the engine's identity paths (engine_identity.py), which
EngineService builds on, can name these without importing the service itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from events.models import EventDetail, PlayerMerged
from shared.adapters.game_pools import PoolKey
from shared.domain.run.decision import Decision


@dataclass(frozen=True)
class InboundRecord:
    message_id: str
    body: str
    # SQS's ApproximateReceiveCount: above 1 the message was delivered before, so its
    # event may well be applied already (its marker is read up front, not found by a
    # cancelled commit).
    receive_count: int = 1


class PoolUsagePort(Protocol):
    """What counted pools (here: rules' campaign budgets) have paid so far."""

    def usage(self, keys: Sequence[PoolKey]) -> dict[PoolKey, int]: ...


class DeadLetterPort(Protocol):
    def send(self, body: str, reason: str, source_message_id: str) -> None: ...


class AlertPort(Protocol):
    def alert(self, subject: str, message: Mapping[str, Any]) -> str: ...


class EngineObserver(Protocol):
    """What the engine reports: logs in Lambda, the printed story in the local demo."""

    def refused(self, message_id: str, reason: str) -> None: ...
    def rg_refused(self, message_id: str, reason: str, salvaged: bool) -> None: ...
    def duplicates(self, player_id: str, event_ids: Sequence[str]) -> None: ...
    def decided(self, player_id: str, decision: Decision) -> None: ...
    def retrying(self, player_id: str, attempt: int, why: str) -> None: ...


class SilentObserver:
    def refused(self, message_id: str, reason: str) -> None:
        pass

    def rg_refused(self, message_id: str, reason: str, salvaged: bool) -> None:
        pass

    def duplicates(self, player_id: str, event_ids: Sequence[str]) -> None:
        pass

    def decided(self, player_id: str, decision: Decision) -> None:
        pass

    def retrying(self, player_id: str, attempt: int, why: str) -> None:
        pass


@dataclass
class BatchOutcome:
    failed_message_ids: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass
class PendingEvent:
    event: EventDetail
    body: str
    message_ids: list[str]
    redelivered: bool = False

    @property
    def likely_seen(self) -> bool:
        """Worth reading its dedupe marker before deciding: a redelivered message, or an
        event the platform emitted itself (engage.*), which the bus echoes back to the
        engine that already applied it. Any other duplicate is caught by its marker's
        put-if-absent at commit (PlayerStore.load)."""
        return self.redelivered or self.event.detail_type.startswith("engage.")


def likely_seen_ids(pendings: Iterable[PendingEvent]) -> list[str]:
    return [p.event.event_id for p in pendings if p.likely_seen]


def windowed_times(events: Iterable[EventDetail]) -> dict[str, datetime]:
    """Event id -> event time for the events the player store dedupes by the state item's
    seen window instead of a marker each (adapters/seen_window.py): the operator's. The
    platform's own (engage.*: timer fires, the bus's echoes of the spins and purchases that
    game commands apply with markers) and merges (loaded by id alone) keep their markers.
    Load and commit must both use this, so an event is looked up where it was recorded."""
    return {
        e.event_id: e.occurred_at
        for e in events
        if not e.detail_type.startswith("engage.") and not isinstance(e, PlayerMerged)
    }
