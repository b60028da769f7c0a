"""Points in a decision: credit, expiry by timer, clawback of a reversed deposit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from events.models import DepositReversed, DepositSucceeded, TimerFired
from shared.domain.basics.calendar_dates import zone
from shared.domain.core.state import LedgerEntry, PendingTimer
from shared.domain.game.points import (
    EXPIRY_TIMER,
    POINTS_RULE,
    Movement,
    deposit_source,
    earn,
    expire_due,
    reverse,
)
from shared.domain.run.run_base import RunBase


def reversal_ref(event: object) -> str | None:
    """What an earn caused by this event can be reversed by: its deposit or order id."""
    # Only references a reversal event exists for: each costs one REV# item per earn.
    if isinstance(event, DepositSucceeded):
        return deposit_source(event.deposit_id)
    return None


class PointsMixin(RunBase):
    """Every points movement of a decision goes through here, so each writes a ledger line."""

    def credit(self, rule_id: str, points: int, path: str, reason: str) -> None:
        """Earn `points` for this event (lots, expiry timer, reversibility, tier window)."""
        policy = self.config.game.points
        at = self.event.occurred_at
        expires_at = policy.expires_at(at, zone(self.state.profile.time_zone))
        entry_id = self._ids(rule_id, path)
        source = reversal_ref(self.event)
        moves = earn(
            self.state.wallet, points, at=at, expires_at=expires_at, entry_id=entry_id, ref=source
        )
        self.post(
            rule_id,
            path,
            moves,
            reason,
            expires_at=expires_at,
            source=source,
            reversible_until=at + policy.reversal_window if source else None,
        )
        self.qualify(points, at)
        self.ensure_expiry_timer()

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
        """Ledger lines for `moves`, each continuing the running balance."""
        lines = []
        for i, move in enumerate(moves):
            self.state.points_balance += move.points
            lines.append(
                LedgerEntry(
                    entry_id=self._ids(rule_id, path if i == 0 else f"{path}.{move.kind}{i}"),
                    player_id=self.event.player_id,
                    kind=move.kind,
                    points=move.points,
                    balance_after=self.state.points_balance,
                    rule_id=rule_id,
                    event_id=self.event.event_id,
                    occurred_at=move.at,
                    reason=reason,
                    ref=move.ref,
                    expires_at=expires_at if move.kind == "earn" else None,
                    source=source if move.kind == "earn" or move.ref != "owed" else None,
                    reversible_until=reversible_until if move.kind == "earn" else None,
                    variant=self.variant_of(rule_id),
                )
            )
        self.decision.ledger += lines
        return lines

    def ensure_expiry_timer(self) -> None:
        """Keep one expiry timer per player, due at the earliest lot's lapse."""
        due = self.state.wallet.next_expiry()
        pending = self.state.timers.get(EXPIRY_TIMER)
        if due is None:
            if pending is not None:
                self.cancel(POINTS_RULE, EXPIRY_TIMER, "points.expiry.cancel")
            return
        if pending is not None and pending.due_at == due:
            return
        self.arm_timer(
            POINTS_RULE, EXPIRY_TIMER, due, "points.expiry", payload={"kind": "points_expiry"}
        )

    def fire_points_expiry(self, pending: PendingTimer, event: TimerFired) -> None:
        moves = expire_due(self.state.wallet, event.occurred_at)
        if moves:
            lapsed = -sum(m.points for m in moves)
            self.post(POINTS_RULE, "points.expire", moves, "points expired")
            self.trace(
                POINTS_RULE, f"{lapsed} points expired (balance {self.state.points_balance})"
            )
        else:
            self.trace(POINTS_RULE, "expiry timer fired; nothing due (spent meanwhile)")
        self.ensure_expiry_timer()

    def reverse_deposit(self, event: DepositReversed) -> None:
        """Claw back what the deposit earned; what was already spent becomes owed."""
        ref = deposit_source(event.deposit_id)
        window = self.config.game.points.reversal_window
        moves, earnings = reverse(
            self.state.wallet, ref, at=event.occurred_at, keep_from=event.occurred_at - window
        )
        if not earnings:
            self.trace(POINTS_RULE, f"{ref} reversed: no reversible points (none, or too old)")
            return
        self.post(POINTS_RULE, "points.reverse", moves, f"{ref} {event.reason}", source=ref)
        for earning in earnings:
            self.qualify(-earning.points, earning.earned_at)
        clawed = -sum(m.points for m in moves)
        owed = self.state.wallet.owed
        self.trace(
            POINTS_RULE,
            f"{ref} reversed: -{clawed} points (balance {self.state.points_balance}, owed {owed})",
        )
        self.ensure_expiry_timer()
