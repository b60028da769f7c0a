"""SES feedback Lambda: SQS batch of SES events -> engage.message.* on the engage bus.

Wiring only. The default-bus rule puts SES's events for our configuration set into the
feedback queue; this function reads them in batches. A record whose publish fails is
reported back as a batch item failure, so SQS redelivers just that one, and after
five receives it moves to the feedback dead-letter queue (nothing is dropped: an
asynchronous Lambda invocation would have been retried twice and then discarded). The
published event id is deterministic, so a redelivered record is applied once. Events
without our tags are skipped and counted.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.tz_database import require_tz_database

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service="engage-feedback")
processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    service = wiring.feedback()

    def forward(record: SQSRecord) -> None:
        # A body that is not an EventBridge event raises here: it is retried, then parked
        # in the DLQ with its body, never dropped.
        envelope = json.loads(record.body)
        outcome = service.handle(envelope)
        # Only the kinds: SES events carry recipient addresses, which are never logged.
        logger.info(
            "feedback",
            extra={
                "message_id": record.message_id,
                "ses_detail_type": envelope.get("detail-type"),
                "published": outcome.published,
                "skipped": outcome.skipped,
            },
        )

    return process_partial_response(
        event=event, record_handler=forward, processor=processor, context=context
    )
