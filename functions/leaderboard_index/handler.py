"""Leaderboard index Lambda: the player table's stream -> leaderboard entries.

Wiring only (shared/adapters/board_index.py does the work). The event-source filter passes
only state records whose commit changed an entry (`lb`). A failed record is reported back,
so Lambda retries the batch from it; each put is conditional on the state version it comes
from, so the records after it that come again, or arrive out of order, change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="engage-leaderboard-index")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # Imported with what it builds, on the first invocation (benchmarks/cold_import.py).
    from shared import leaderboard_wiring

    index = leaderboard_wiring.index()

    def project(record: DynamoDBRecord) -> None:
        done = index.project_records([record.raw_event])
        # Counts only: no player id in the logs.
        logger.debug("entries", extra={"written": done.written, "stale": done.stale})

    return process_partial_response(
        event=event, record_handler=project, processor=processor, context=context
    )
