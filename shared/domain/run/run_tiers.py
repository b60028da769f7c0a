"""Tiers in a decision: count earned points, upgrade at once, review for downgrades by timer."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.models import TierChanged, TimerFired
from shared.domain.core.state import PendingTimer
from shared.domain.game.tiers import REVIEW_TIMER, TIER_RULE, Tier, TierProgram, review_due
from shared.domain.run.run_base import RunBase

# A review due within this of now is done now rather than re-armed (the timer's own lead).
_REVIEW_SLACK = timedelta(minutes=1)


class TiersMixin(RunBase):
    def qualify(self, points: int, at: datetime) -> None:
        """Count points earned (negative: clawed back) at `at`; upgrade if they now qualify."""
        program = self.config.game.tiers
        if program is None or points == 0:
            return
        status = self.state.tier
        now = self.event.occurred_at
        today = program.local_date(now)
        key = program.bucket(at)
        keep_from = program.keep_from(now, today)
        earned = status.earned  # the decision's own copy (state_copy.py)
        if key >= keep_from:
            total = earned.get(key, 0) + points
            if total > 0:
                earned[key] = total
            else:
                earned.pop(key, None)
        if earned and min(earned) < keep_from:
            status.earned = earned = {k: v for k, v in earned.items() if k >= keep_from}
        if points < 0:
            # A clawback never drops the tier on the spot: the next review decides.
            return
        qualifying = program.qualifying(earned, now, today)
        target = program.supported(qualifying)
        current = program.rank(status.tier)
        if target is None:
            return
        if program.rank(target.tier_id) >= current >= 0:
            status.qualified_at = now
        if program.rank(target.tier_id) > current:
            self._change_tier(program, target, "up", qualifying)
            status.qualified_at = now
        self._ensure_review(program)

    def fire_tier_review(self, pending: PendingTimer, event: TimerFired) -> None:
        program = self.config.game.tiers
        status = self.state.tier
        if program is None or status.tier is None or program.downgrade == "none":
            self.trace(TIER_RULE, "tier review: nothing to review")
            return
        now = event.occurred_at
        due = review_due(program, status, now - _REVIEW_SLACK)
        if program.window == "rolling" and due is not None and due > now + _REVIEW_SLACK:
            # Re-qualified since this review was armed: the tier is held a full window on.
            self._ensure_review(program)
            return
        qualifying = program.qualifying(status.earned, now)
        supported = program.supported(qualifying)
        if program.window == "calendar":
            # The period that just ended, whose points the held tier was earned with.
            ended_at = now - timedelta(days=program.grace_days) - timedelta(seconds=1)
            ended = program.supported(program.qualifying(status.earned, ended_at))
            if ended is not None and program.rank(ended.tier_id) > program.rank(
                supported.tier_id if supported else None
            ):
                supported, qualifying = ended, program.qualifying(status.earned, ended_at)
        new_rank = program.rank(supported.tier_id) if supported else -1
        if new_rank < program.rank(status.tier):
            if supported is None:
                self._drop_tier(program, qualifying)
            else:
                self._change_tier(program, supported, "down", qualifying)
        else:
            self.trace(TIER_RULE, f"tier review: {status.tier} kept ({qualifying} points)")
        status.qualified_at = now
        self._ensure_review(program)

    def _change_tier(
        self, program: TierProgram, tier: Tier, direction: str, qualifying: int
    ) -> None:
        status = self.state.tier
        previous = status.tier if program.rank(status.tier) >= 0 else None
        status.tier, status.since = tier.tier_id, self.event.occurred_at
        self.trace(TIER_RULE, f"tier {previous or 'none'} -> {tier.tier_id} ({qualifying} points)")
        self.publish(
            f"tier.{tier.tier_id}",
            TierChanged(
                player_id=self.event.player_id,
                event_id=f"tier.{tier.tier_id}.{direction}.{self.event.event_id}"[:256],
                occurred_at=self.event.occurred_at,
                tier=tier.tier_id,
                previous_tier=previous,
                direction="up" if direction == "up" else "down",
                qualifying_points=max(0, qualifying),
            ),
        )

    def _drop_tier(self, program: TierProgram, qualifying: int) -> None:
        # Below the lowest tier's minimum: the player holds no tier any more. No event is
        # published (there is no tier to name); the trace and the state say it.
        status = self.state.tier
        self.trace(TIER_RULE, f"tier {status.tier} -> none ({qualifying} points)")
        status.tier, status.since, status.qualified_at = None, self.event.occurred_at, None
        self.cancel(TIER_RULE, REVIEW_TIMER, "tier.review.cancel")

    def _ensure_review(self, program: TierProgram) -> None:
        due = review_due(program, self.state.tier, self.event.occurred_at)
        pending = self.state.timers.get(REVIEW_TIMER)
        if due is None:
            if pending is not None:
                self.cancel(TIER_RULE, REVIEW_TIMER, "tier.review.cancel")
            return
        if pending is not None and pending.due_at <= due:
            # Due no later than needed: when it fires, a review not yet due slides on. This
            # keeps an earning player from re-arming a schedule on every earn.
            return
        self.arm_timer(TIER_RULE, REVIEW_TIMER, due, "tier.review", payload={"kind": "tier_review"})
