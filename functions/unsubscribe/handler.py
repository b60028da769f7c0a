"""One-click unsubscribe Lambda: API Gateway HTTP API (v2) events -> consent changes.

Wiring only. The service (and the signing key, read from Secrets Manager) is built on the
first request of a cold start. Logs say what happened and why, never the token or player.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.tz_database import require_tz_database

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service="engage-unsubscribe")


class _LogObserver:
    def unsubscribe(self, outcome: str, reason: str | None) -> None:
        logger.info("unsubscribe", extra={"outcome": outcome, "reason": reason})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return wiring.unsubscribe(_LogObserver()).handle(event)
