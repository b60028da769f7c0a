"""One event's decision in progress: what every concern reads, and where it writes.

A concern (`run_<concern>.py`) is a module of functions over a `DecisionContext`: the
event, the config, `now` and the player's state as inputs; the `Decision` being built
(ledger lines, outbox items, audit, trace) as the one place effects go. The context
calls no concern itself, except `execute`: running a rule's actions is what missions,
leaderboard prizes and rule timers need of the rules concern, which sits above them
(docs/design.md, "The decision core, concern by concern").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events.models import EventDetail
from shared.domain.authoring.rules import CompiledRule
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import (
    AuditCategory,
    AuditEntry,
    OutboxItem,
    PlayerState,
    PublishEvent,
    stable_id,
)
from shared.domain.measurement.experiments import current_arm
from shared.domain.run.decision import Decision, TraceLine


@dataclass(slots=True)
class DecisionContext:
    """One event's decision in progress: its inputs, what it writes, and the writing
    helpers every concern uses."""

    event: EventDetail
    config: ConfigSnapshot
    now: datetime
    state: PlayerState
    # Runs a rule's actions (run_rules.execute): given by decide, called through `execute`.
    executor: Callable[[DecisionContext, CompiledRule, Sequence[Any], str], None]
    # Campaign budget usage the engine read: (rule id, period) -> units already paid.
    pools: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Off: trace() keeps nothing (decide's `traced`); the lines cost ~4 % of a decision.
    traced: bool = True
    # Whether the state's RFM score is recounted: always, except for a caller that never
    # shows the state (decide's `display_facts`) when no condition of the config reads it.
    scores_rfm: bool = True
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
                audit_id=self.id_for(rule_id or "-", f"audit.{category}.{key}"),
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

    def id_for(self, rule_id: str, path: str) -> str:
        return stable_id(self.event.player_id, self.event.event_id, rule_id, path)

    def to_outbox(self, rule_id: str, path: str, effect: Any) -> None:
        self.decision.outbox.append(
            OutboxItem(
                outbox_id=self.id_for(rule_id, path),
                player_id=self.event.player_id,
                event_id=self.event.event_id,
                rule_id=rule_id,
                created_at=self.now,
                effect=effect,
                variant=self.variant_of(rule_id),
            )
        )

    def variant_of(self, rule_id: str) -> str | None:
        """The player's arm of the rule's current experiment (a variant or "holdout"): every
        outbox item and ledger line carries it, so it is the context's to answer."""
        rule = self.config.rules.get(rule_id)
        return current_arm(
            rule.rule.experiment if rule else None, self.state.experiments.get(rule_id)
        )

    def publish(self, key: str, detail: EventDetail) -> None:
        """A derived event for the bus; rules react to it when it comes back."""
        self.to_outbox(
            "engine",
            f"publish.{key}",
            PublishEvent(detail_type=detail.detail_type, detail=detail.model_dump(mode="json")),
        )

    def execute(self, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
        """Run `actions` as `rule` does (the rules concern, given to the context by decide)."""
        self.executor(self, rule, actions, path)
