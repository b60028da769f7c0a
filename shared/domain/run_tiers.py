"""Tiers in a decision (being built for issue 3)."""

from __future__ import annotations

from datetime import datetime

from events.models import TimerFired
from shared.domain.run_base import RunBase
from shared.domain.state import PendingTimer


class TiersMixin(RunBase):
    def qualify(self, points: int, at: datetime) -> None:
        return None

    def fire_tier_review(self, pending: PendingTimer, event: TimerFired) -> None:
        return None
