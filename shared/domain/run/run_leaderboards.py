"""Leaderboards in a decision: score matching events, pay a prize once at the close.

Every board listening to this event gets its score; a prize event pays its rank.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from events.models import LeaderboardPrize
from shared.domain.authoring.rules import CompiledRule, Rule
from shared.domain.game.leaderboards import (
    BOARD_RULE_PREFIX,
    KEEP_AFTER_CLOSE,
    BoardEntry,
    BoardScore,
    Leaderboard,
    period_at,
    quantize_score,
    shard_of,
    state_key,
)
from shared.domain.run.context import DecisionContext


def update_boards(ctx: DecisionContext, doc: dict[str, Any]) -> None:
    """Called once per event, after the profile is updated and before rules run."""
    _prune_boards(ctx)
    if isinstance(ctx.event, LeaderboardPrize):
        pay_prize(ctx, ctx.event)
        return
    for board in ctx.config.game.leaderboards.values():
        if not board.enabled or ctx.event.detail_type not in board.on:
            continue
        matcher = ctx.config.board_matchers.get(board.board_id)
        if matcher is None or matcher.matches(doc):
            _score(ctx, board)


def _prune_boards(ctx: DecisionContext) -> None:
    if not ctx.state.boards:
        return
    cutoff = ctx.event.occurred_at - KEEP_AFTER_CLOSE  # once, not once per board held
    stale = [k for k, s in ctx.state.boards.items() if s.ends_at < cutoff]
    for key in stale:
        del ctx.state.boards[key]


_ONE = Decimal(1)


def _points(ctx: DecisionContext, board: Leaderboard) -> Decimal | None:
    if board.score.of is None:
        return _ONE
    value = ctx.event.value_of(board.score.of)
    kind = type(value)
    if kind is Decimal:  # money, the usual score: a Decimal is immutable, so no copy
        return value if value >= 0 else None
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value >= 0:
        return Decimal(value)
    return None


def _score(ctx: DecisionContext, board: Leaderboard) -> None:
    at = ctx.event.occurred_at
    rule_id = f"{BOARD_RULE_PREFIX}{board.board_id}"
    period = period_at(board.window, at)
    if period is None:
        ctx.trace(rule_id, "event outside the board's window: not scored")
        return
    if ctx.now >= period.end + board.grace:
        # Its period has settled (or is settling): prizes are final, so it cannot move.
        ctx.trace(rule_id, f"late event for closed period {period.key}: not scored")
        return
    points = _points(ctx, board)
    if points is None:
        ctx.trace(rule_id, f"event has no usable {board.score.of}: not scored")
        return
    key = state_key(board.board_id, period.key)
    held = ctx.state.boards.get(key)
    before = held.score if held else Decimal(0)
    if board.score.kind == "max":
        after = quantize_score(max(before, points))
    else:
        after = quantize_score(before + points)
    if after <= 0:
        # Nothing scored yet (a lost round is worth 0): no entry, so a player never
        # ranks, or wins a prize, on a board they have not scored on.
        ctx.trace(rule_id, "{}: nothing scored", period.key)
        return
    if held is not None and after == before:
        ctx.trace(rule_id, "{}: score stays {}", period.key, before)
        return
    # "Reached" is when the score got its current value: the latest event that raised it
    # (a late one from earlier in the period does not make the player look earlier).
    reached = max(at, held.reached_at) if held else at
    ctx.state.boards[key] = BoardScore(score=after, reached_at=reached, ends_at=period.end)
    ctx.decision.board_entries.append(
        BoardEntry(
            board_id=board.board_id,
            period=period.key,
            player_id=ctx.event.player_id,
            score=after,
            reached_at=reached,
            shard=shard_of(ctx.event.player_id, board.shards),
            keep_until=period.end + KEEP_AFTER_CLOSE,
        )
    )
    ctx.trace(rule_id, "{}: score {} -> {}", period.key, before, after)


def pay_prize(ctx: DecisionContext, event: LeaderboardPrize) -> None:
    rule_id = f"{BOARD_RULE_PREFIX}{event.board_id}"
    board = ctx.config.game.leaderboards.get(event.board_id)
    if board is None:
        ctx.trace(rule_id, f"prize for rank {event.rank}: board is gone, nothing paid")
        return
    key = state_key(event.board_id, event.period)
    held = ctx.state.boards.get(key)
    if held is not None and held.prize_rank is not None:
        ctx.trace(rule_id, f"{event.period}: prize for rank {held.prize_rank} already paid")
        return
    prize = board.prize_for(event.rank)
    if prize is None:
        ctx.trace(rule_id, f"{event.period}: rank {event.rank} wins no prize")
        return
    if held is not None:
        ctx.state.boards[key] = held.model_copy(update={"prize_rank": event.rank})
    rule = CompiledRule(
        rule=Rule(rule_id=rule_id[:64], on=[event.detail_type], then=list(prize.then)),
        matcher=None,
    )
    ctx.trace(rule_id, f"{event.period}: rank {event.rank}, paying its prize")
    ctx.execute(rule, prize.then, path=f"prize.{event.period}.")
