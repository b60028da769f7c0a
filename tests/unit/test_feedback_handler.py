"""The feedback function reads SES events from its queue: partial batch failures, no drops."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.feedback.handler import handler
from shared import wiring
from shared.local.lambda_context import LambdaContext
from shared.local.runtime import sqs_batch
from shared.local.ses_feedback import ses_event
from shared.services.feedback import FeedbackService

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FlakyBus:
    """Records what was published; refuses the publishes whose number is in `fail`."""

    def __init__(self, fail: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail = set(fail)
        self.calls: list[str] = []
        self.published: list[str] = []

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str:
        self.calls.append(detail_type)
        if len(self.calls) in self.fail:
            raise ConnectionError("bus unavailable")
        self.published.append(detail_type)
        return str(detail["event_id"])


@pytest.fixture
def bus() -> Iterator[FlakyBus]:
    fake = FlakyBus(fail={1})
    wiring.install(feedback=FeedbackService(fake))
    yield fake
    wiring.reset()


def ses(kind: str) -> str:
    event = ses_event(
        kind, message_id=f"m-{kind}", player_id="p-1", outbox_id="o-1", template="promo", at=AT
    )
    return json.dumps(event)


def test_given_a_batch_whose_first_publish_fails_then_only_that_record_is_retried(bus):
    batch = sqs_batch(ses("open"), ses("click"))

    response = handler(batch, LambdaContext("engage-feedback"))

    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    assert bus.published == ["engage.message.clicked"]


def test_given_a_batch_that_fails_whole_then_the_invocation_fails_and_sqs_redelivers_it(bus):
    with pytest.raises(BatchProcessingError):
        handler(sqs_batch(ses("open")), LambdaContext("engage-feedback"))

    response = handler(sqs_batch(ses("open")), LambdaContext("engage-feedback"))

    assert response == {"batchItemFailures": []}
    assert bus.published == ["engage.message.opened"]


def test_given_a_body_that_is_not_json_then_the_record_is_failed_not_dropped(bus):
    bus.fail.clear()
    batch = sqs_batch("not json", ses("open"))

    response = handler(batch, LambdaContext("engage-feedback"))

    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    assert bus.published == ["engage.message.opened"]
