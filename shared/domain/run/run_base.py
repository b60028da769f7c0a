"""The state of one event's decision in progress, shared by every concern's mixin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events.models import (
    EventDetail,
    TimerFired,
)
from shared.domain.authoring.rules import (
    CompiledRule,
)
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import (
    AuditCategory,
    AuditEntry,
    LedgerEntry,
    OutboxItem,
    PendingTimer,
    PlayerState,
    stable_id,
)
from shared.domain.game.points import Movement
from shared.domain.players.rg import GateClass
from shared.domain.run.decision import Decision, TraceLine


@dataclass
class RunBase:
    """One event's decision in progress: its inputs, what it writes, and the helpers every
    concern uses. The concerns (timers, delivery, RG, engagement) are mixins over it."""

    event: EventDetail
    config: ConfigSnapshot
    now: datetime
    state: PlayerState
    # Campaign budget usage the engine read: (rule id, period) -> units already paid.
    pools: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Off: trace() keeps nothing (decide's `traced`); the lines cost ~4 % of a decision.
    traced: bool = True
    decision: Decision = field(init=False)
    # When the messages of the action list being executed reach the player: now for a send,
    # the end of quiet hours (or of a cap) for a deferred one. An offer those messages
    # announce opens at the first of them, not before the player can know of it.
    deliveries: list[datetime] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.decision = Decision(state=self.state)

    def trace(self, rule_id: str | None, text: str, *args: object) -> None:
        """A line of the decision's trace; with `args`, `text` is formatted with them, and
        only when traced (a line said on most rounds costs nothing in the replay)."""
        if not self.traced:
            return
        line = text.format(*args) if args else text
        self.decision.trace.append(
            TraceLine(self.event.event_id, self.event.detail_type, rule_id, line)
        )

    def audit(
        self,
        category: AuditCategory,
        reason: str,
        rule_id: str | None = None,
        inputs: dict[str, str] | None = None,
        key: str = "",
    ) -> None:
        retention = timedelta(days=self.config.rg_thresholds.audit_retention_days)
        self.decision.audit.append(
            AuditEntry(
                audit_id=self._ids(rule_id or "-", f"audit.{category}.{key}"),
                player_id=self.event.player_id,
                occurred_at=self.event.occurred_at,
                category=category,
                stage="decision",
                reason=reason,
                inputs=inputs or {},
                event_id=self.event.event_id,
                rule_id=rule_id,
                retain_until=self.now + retention,
            )
        )

    def suppress(self, rule_id: str, what: str, reason: str, path: str) -> None:
        self.trace(rule_id, f"{what}: suppressed, {reason}")
        self.audit("suppression", f"{what}: {reason}", rule_id, {"action": what}, key=path)

    def _ids(self, rule_id: str, path: str) -> str:
        return stable_id(self.event.player_id, self.event.event_id, rule_id, path)

    def _outbox(self, rule_id: str, path: str, effect: Any) -> None:
        self.decision.outbox.append(
            OutboxItem(
                outbox_id=self._ids(rule_id, path),
                player_id=self.event.player_id,
                event_id=self.event.event_id,
                rule_id=rule_id,
                created_at=self.now,
                effect=effect,
                variant=self.variant_of(rule_id),
            )
        )

    # Implemented by the mixins; declared here so each concern can call the others.
    def execute(self, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
        raise NotImplementedError

    def arm_timer(
        self,
        rule_id: str,
        timer: str,
        due: datetime,
        path: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        raise NotImplementedError

    def cancel(self, rule_id: str, timer: str, path: str) -> None:
        raise NotImplementedError

    def offer_allowed(self, what: GateClass, rule_id: str, label: str, path: str) -> bool:
        raise NotImplementedError

    def fire_lifecycle(self, event: TimerFired) -> None:
        raise NotImplementedError

    def fire_builtin(self, pending: PendingTimer, event: TimerFired) -> None:
        raise NotImplementedError

    def qualify(self, points: int, at: datetime) -> None:
        """Count points earned (or clawed back, if negative) at `at` toward the tier."""
        raise NotImplementedError

    def publish(self, key: str, detail: EventDetail) -> None:
        raise NotImplementedError

    def credit(self, rule_id: str, points: int, path: str, reason: str) -> None:
        """Earn points for this event: ledger line, expiry timer, tier qualification."""
        raise NotImplementedError

    def post(
        self,
        rule_id: str,
        path: str,
        moves: Sequence[Movement],
        reason: str,
        expires_at: datetime | None = None,
        source: str | None = None,
        reversible_until: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Ledger lines for wallet movements, continuing the running balance."""
        raise NotImplementedError

    def ensure_expiry_timer(self) -> None:
        raise NotImplementedError

    def grant_badge(self, rule_id: str, badge: str, path: str) -> None:
        raise NotImplementedError

    def variant_of(self, rule_id: str) -> str | None:
        raise NotImplementedError

    def template_for(self, rule_id: str, template_id: str) -> str:
        raise NotImplementedError

    def withheld(self, rule_id: str, would: str, path: str, *, reward: bool) -> bool:
        raise NotImplementedError

    def contact_shared(self, rule_id: str, channel: str, path: str, template: str) -> bool:
        raise NotImplementedError

    def within_budget(
        self, rule_id: str, label: str, path: str, *, points: int = 0, spins: int = 0
    ) -> bool:
        raise NotImplementedError
