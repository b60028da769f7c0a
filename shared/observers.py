"""Structured-log observers for Lambda: what happened, keyed, with no contact details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.domain.core.config import ConfigProblem
from shared.domain.core.state import OutboxItem
from shared.domain.run.decide import Decision


class LoggingObserver:
    """Reports engine and dispatch outcomes through a Powertools-style logger.

    Only ids, rule names, counts and reasons are logged: never emails, phones or names.
    """

    def __init__(self, logger: Any) -> None:
        self._log = logger

    def refused(self, message_id: str, reason: str) -> None:
        self._log.warning(
            "event refused to DLQ", extra={"message_id": message_id, "reason": reason}
        )

    def rg_refused(self, message_id: str, reason: str, salvaged: bool) -> None:
        # Loud on purpose: a malformed responsible-gaming event needs a human.
        self._log.error(
            "malformed responsible-gaming event",
            extra={"message_id": message_id, "reason": reason, "salvaged_as_exclusion": salvaged},
        )

    def duplicates(self, player_id: str, event_ids: Sequence[str]) -> None:
        self._log.info(
            "duplicate events ignored", extra={"player_id": player_id, "event_ids": list(event_ids)}
        )

    def decided(self, player_id: str, decision: Decision) -> None:
        self._log.info(
            "decision committed",
            extra={
                "player_id": player_id,
                "ledger_lines": len(decision.ledger),
                "outbox_items": len(decision.outbox),
                "trace": [str(t) for t in decision.trace],
            },
        )

    def retrying(self, player_id: str, attempt: int, why: str) -> None:
        self._log.info(
            "player write retried", extra={"player_id": player_id, "attempt": attempt, "why": why}
        )

    def performed(self, item: OutboxItem, result: str) -> None:
        # `result` names template/schedule and SES message id, never the address.
        self._log.info(
            "effect performed",
            extra={
                "player_id": item.player_id,
                "outbox_id": item.outbox_id,
                "kind": item.effect.kind,
                "result": result,
            },
        )

    def config_problem(self, problem: ConfigProblem) -> None:
        self._log.error(
            "config item skipped",
            extra={"kind": problem.kind, "item_id": problem.item_id, "reason": problem.reason},
        )
