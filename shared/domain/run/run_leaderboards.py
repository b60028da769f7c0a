"""Leaderboards in a decision: score matching events, pay a prize once at the close."""

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
from shared.domain.run.run_base import RunBase


class LeaderboardsMixin(RunBase):
    """Every board listening to this event gets its score; a prize event pays its rank."""

    def update_boards(self, doc: dict[str, Any]) -> None:
        """Called once per event, after the profile is updated and before rules run."""
        self._prune_boards()
        if isinstance(self.event, LeaderboardPrize):
            self.pay_prize(self.event)
            return
        for board in self.config.game.leaderboards.values():
            if not board.enabled or self.event.detail_type not in board.on:
                continue
            matcher = self.config.board_matchers.get(board.board_id)
            if matcher is None or matcher.matches(doc):
                self._score(board)

    def _prune_boards(self) -> None:
        if not self.state.boards:
            return
        cutoff = self.event.occurred_at - KEEP_AFTER_CLOSE  # once, not once per board held
        stale = [k for k, s in self.state.boards.items() if s.ends_at < cutoff]
        for key in stale:
            del self.state.boards[key]

    def _points(self, board: Leaderboard) -> Decimal | None:
        if board.score.of is None:
            return Decimal(1)
        value = self.event.value_of(board.score.of)
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and value >= 0:
            return Decimal(value)
        return None

    def _score(self, board: Leaderboard) -> None:
        at = self.event.occurred_at
        rule_id = f"{BOARD_RULE_PREFIX}{board.board_id}"
        period = period_at(board.window, at)
        if period is None:
            self.trace(rule_id, "event outside the board's window: not scored")
            return
        if self.now >= period.end + board.grace:
            # Its period has settled (or is settling): prizes are final, so it cannot move.
            self.trace(rule_id, f"late event for closed period {period.key}: not scored")
            return
        points = self._points(board)
        if points is None:
            self.trace(rule_id, f"event has no usable {board.score.of}: not scored")
            return
        key = state_key(board.board_id, period.key)
        held = self.state.boards.get(key)
        before = held.score if held else Decimal(0)
        if board.score.kind == "max":
            after = quantize_score(max(before, points))
        else:
            after = quantize_score(before + points)
        if after <= 0:
            # Nothing scored yet (a lost round is worth 0): no entry, so a player never
            # ranks, or wins a prize, on a board they have not scored on.
            self.trace(rule_id, f"{period.key}: nothing scored")
            return
        if held is not None and after == before:
            self.trace(rule_id, f"{period.key}: score stays {before}")
            return
        # "Reached" is when the score got its current value: the latest event that raised it
        # (a late one from earlier in the period does not make the player look earlier).
        reached = max(at, held.reached_at) if held else at
        self.state.boards[key] = BoardScore(score=after, reached_at=reached, ends_at=period.end)
        self.decision.board_entries.append(
            BoardEntry(
                board_id=board.board_id,
                period=period.key,
                player_id=self.event.player_id,
                score=after,
                reached_at=reached,
                shard=shard_of(self.event.player_id, board.shards),
                keep_until=period.end + KEEP_AFTER_CLOSE,
            )
        )
        self.trace(rule_id, "{}: score {} -> {}", period.key, before, after)

    def pay_prize(self, event: LeaderboardPrize) -> None:
        rule_id = f"{BOARD_RULE_PREFIX}{event.board_id}"
        board = self.config.game.leaderboards.get(event.board_id)
        if board is None:
            self.trace(rule_id, f"prize for rank {event.rank}: board is gone, nothing paid")
            return
        key = state_key(event.board_id, event.period)
        held = self.state.boards.get(key)
        if held is not None and held.prize_rank is not None:
            self.trace(rule_id, f"{event.period}: prize for rank {held.prize_rank} already paid")
            return
        prize = board.prize_for(event.rank)
        if prize is None:
            self.trace(rule_id, f"{event.period}: rank {event.rank} wins no prize")
            return
        if held is not None:
            self.state.boards[key] = held.model_copy(update={"prize_rank": event.rank})
        rule = CompiledRule(
            rule=Rule(rule_id=rule_id[:64], on=[event.detail_type], then=list(prize.then)),
            matcher=None,
        )
        self.trace(rule_id, f"{event.period}: rank {event.rank}, paying its prize")
        self.execute(rule, prize.then, path=f"prize.{event.period}.")
