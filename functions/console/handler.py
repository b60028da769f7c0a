"""Console API Lambda: API Gateway HTTP API (v2) events -> the console's routes.

Wiring only. The services and the resolver are built on the first request from the
environment (or whatever the local runtime installed); every answer carries the
security headers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.console import wiring
from shared.console.api import handle
from shared.tz_database import require_tz_database

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service="engage-console")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(wiring.app(), event, context)
