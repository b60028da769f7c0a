"""Lake transformation Lambda: Firehose hands it bus events, it returns scrubbed lake rows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.lake_firehose import transform_records

logger = Logger(service="engage-lake-transform")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return transform_records(event)
