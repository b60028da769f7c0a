"""Points in a decision: credit, debit, expiry by timer, clawback of a reversed deposit.

Every points movement of a decision goes through here, so each writes a ledger line.
"""

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
    spend,
)
from shared.domain.run import run_tiers, run_timers
from shared.domain.run.context import DecisionContext


def reversal_ref(event: object) -> str | None:
    """What an earn caused by this event can be reversed by: its deposit or order id."""
    # Only references a reversal event exists for: each costs one REV# item per earn.
    if isinstance(event, DepositSucceeded):
        return deposit_source(event.deposit_id)
    return None


def credit(ctx: DecisionContext, rule_id: str, points: int, path: str, reason: str) -> None:
    """Earn `points` for this event (lots, expiry timer, reversibility, tier window)."""
    policy = ctx.config.game.points
    at = ctx.event.occurred_at
    expires_at = policy.expires_at(at, zone(ctx.state.profile.time_zone))
    entry_id = ctx.id_for(rule_id, path)
    source = reversal_ref(ctx.event)
    moves = earn(
        ctx.state.wallet, points, at=at, expires_at=expires_at, entry_id=entry_id, ref=source
    )
    post(
        ctx,
        rule_id,
        path,
        moves,
        reason,
        expires_at=expires_at,
        source=source,
        reversible_until=at + policy.reversal_window if source else None,
    )
    run_tiers.qualify(ctx, points, at)
    ensure_expiry_timer(ctx)


def post(
    ctx: DecisionContext,
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
        ctx.state.points_balance += move.points
        lines.append(
            LedgerEntry(
                entry_id=ctx.id_for(rule_id, path if i == 0 else f"{path}.{move.kind}{i}"),
                player_id=ctx.event.player_id,
                kind=move.kind,
                points=move.points,
                balance_after=ctx.state.points_balance,
                rule_id=rule_id,
                event_id=ctx.event.event_id,
                occurred_at=move.at,
                reason=reason,
                ref=move.ref,
                expires_at=expires_at if move.kind == "earn" else None,
                source=source if move.kind == "earn" or move.ref != "owed" else None,
                reversible_until=reversible_until if move.kind == "earn" else None,
                variant=ctx.variant_of(rule_id),
            )
        )
    ctx.decision.ledger += lines
    return lines


def debit(
    ctx: DecisionContext, rule_id: str, path: str, points: int, reason: str, ref: str
) -> list[LedgerEntry]:
    """Spend `points` from the oldest lots (raises InsufficientPoints, changing nothing)."""
    move = spend(ctx.state.wallet, points, at=ctx.event.occurred_at, ref=ref)
    lines = post(ctx, rule_id, path, [move], reason)
    ensure_expiry_timer(ctx)
    return lines


def ensure_expiry_timer(ctx: DecisionContext) -> None:
    """Keep one expiry timer per player, due at the earliest lot's lapse."""
    due = ctx.state.wallet.next_expiry()
    pending = ctx.state.timers.get(EXPIRY_TIMER)
    if due is None:
        if pending is not None:
            run_timers.cancel(ctx, POINTS_RULE, EXPIRY_TIMER, "points.expiry.cancel")
        return
    if pending is not None and pending.due_at == due:
        return
    run_timers.arm_timer(
        ctx, POINTS_RULE, EXPIRY_TIMER, due, "points.expiry", payload={"kind": "points_expiry"}
    )


def fire_points_expiry(ctx: DecisionContext, pending: PendingTimer, event: TimerFired) -> None:
    moves = expire_due(ctx.state.wallet, event.occurred_at)
    if moves:
        lapsed = -sum(m.points for m in moves)
        post(ctx, POINTS_RULE, "points.expire", moves, "points expired")
        ctx.trace(POINTS_RULE, f"{lapsed} points expired (balance {ctx.state.points_balance})")
    else:
        ctx.trace(POINTS_RULE, "expiry timer fired; nothing due (spent meanwhile)")
    ensure_expiry_timer(ctx)


def reverse_deposit(ctx: DecisionContext, event: DepositReversed) -> None:
    """Claw back what the deposit earned; what was already spent becomes owed."""
    ref = deposit_source(event.deposit_id)
    window = ctx.config.game.points.reversal_window
    moves, earnings = reverse(
        ctx.state.wallet, ref, at=event.occurred_at, keep_from=event.occurred_at - window
    )
    if not earnings:
        ctx.trace(POINTS_RULE, f"{ref} reversed: no reversible points (none, or too old)")
        return
    post(ctx, POINTS_RULE, "points.reverse", moves, f"{ref} {event.reason}", source=ref)
    for earning in earnings:
        run_tiers.qualify(ctx, -earning.points, earning.earned_at)
    clawed = -sum(m.points for m in moves)
    owed = ctx.state.wallet.owed
    ctx.trace(
        POINTS_RULE,
        f"{ref} reversed: -{clawed} points (balance {ctx.state.points_balance}, owed {owed})",
    )
    ensure_expiry_timer(ctx)
