"""SES feedback Lambda: SES events from the default bus -> engage.message.* on the engage bus.

Wiring only. Invoked by the default-bus rule for source aws.ses, one event per invocation;
an exception makes EventBridge retry (the published event id is deterministic, so a retry
is applied once). Events without our tags are skipped and counted in the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring

logger = Logger(service="engage-feedback")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = wiring.feedback().handle(event)
    # Only the kinds: SES events carry recipient addresses, which are never logged.
    logger.info(
        "feedback",
        extra={
            "ses_detail_type": event.get("detail-type"),
            "published": outcome.published,
            "skipped": outcome.skipped,
        },
    )
    return {"published": outcome.published, "skipped": outcome.skipped}
