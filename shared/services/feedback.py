"""SES feedback in, our message events out onto the engage bus (one SES event at a time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain.players.feedback import Skipped, translate


class PublisherPort(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class FeedbackOutcome:
    published: str | None  # our detail-type, when one was put on the bus
    skipped: str | None  # why not, otherwise


class FeedbackService:
    def __init__(self, publisher: PublisherPort) -> None:
        self._publisher = publisher
        # Per reason, since the last cold start: the handler logs and tests read them.
        self.skipped: Counter[str] = Counter()
        self.published: Counter[str] = Counter()

    def handle(self, envelope: dict[str, Any]) -> FeedbackOutcome:
        """Translate and publish; raises on a failed PutEvents so EventBridge retries."""
        result = translate(envelope)
        if isinstance(result, Skipped):
            self.skipped[result.reason] += 1
            return FeedbackOutcome(published=None, skipped=result.reason)
        # The event id inside the detail is deterministic: a retry after a partial failure
        # puts the same event again and the engine applies it once.
        self._publisher.publish(result.detail_type, result.detail)
        self.published[result.detail_type] += 1
        return FeedbackOutcome(published=result.detail_type, skipped=None)
