"""Dispatch Lambda: new outbox items from the player table's stream -> effects performed.

Wiring only. The event-source filter delivers outbox INSERTs only. A failed record is
reported back so Lambda retries from it; effects are idempotent, so the records after it
that are redelivered too do nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from shared import wiring
from shared.metric_names import DISPATCH_SERVICE
from shared.tz_database import require_tz_database

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service=DISPATCH_SERVICE)
# Namespace from POWERTOOLS_METRICS_NAMESPACE; flushed once per invocation by log_metrics.
metrics = Metrics(service=DISPATCH_SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Imported with the service it feeds, on the first invocation (benchmarks/cold_import.py).
    from shared.adapters.player_store import parse_outbox_image

    service = wiring.dispatch(logger, metrics)

    def perform(record: DynamoDBRecord) -> None:
        image = record.raw_event["dynamodb"]["NewImage"]
        service.perform(parse_outbox_image(image))

    return process_partial_response(
        event=event, record_handler=perform, processor=processor, context=context
    )
