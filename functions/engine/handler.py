"""Engine Lambda: SQS batch of bus events -> decisions committed per player.

Wiring only. Malformed events are parked in the DLQ with their reason by the service and
count as handled; records of a player whose write failed transiently are reported back
as batch item failures so SQS redelivers just those.
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
from shared.metric_names import ENGINE_SERVICE
from shared.tz_database import require_tz_database

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service=ENGINE_SERVICE)
# Namespace from POWERTOOLS_METRICS_NAMESPACE; flushed once per invocation by log_metrics.
metrics = Metrics(service=ENGINE_SERVICE)
processor = BatchProcessor(event_type=EventType.SQS)


class RetryLater(Exception):
    """This record's player could not be written now; SQS will redeliver it."""


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Imported with the engine it feeds, on the first invocation (benchmarks/cold_import.py).
    from shared.services.engine_batch import InboundRecord

    engine = wiring.engine(logger, metrics)
    records = [
        InboundRecord(
            r["messageId"],
            r["body"],
            int((r.get("attributes") or {}).get("ApproximateReceiveCount", 1)),
        )
        for r in event.get("Records", [])
    ]
    outcome = engine.process(records)

    def settle(record: SQSRecord) -> None:
        if record.message_id in outcome.failed_message_ids:
            raise RetryLater(record.message_id)

    return process_partial_response(
        event=event, record_handler=settle, processor=processor, context=context
    )
