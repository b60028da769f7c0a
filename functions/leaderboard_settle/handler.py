"""Leaderboard settle Lambda: invoked every minute by an EventBridge Scheduler schedule.

Wiring only: settle every closed, unsettled leaderboard period (prize events onto the bus).
An exception fails the invocation; Scheduler retries, and the next minute's run would
pick the period up anyway (settling is idempotent).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import leaderboard_wiring
from shared.tz_database import require_tz_database

require_tz_database()  # cold start: refuse to run without tz data
logger = Logger(service="engage-leaderboard-settle")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = leaderboard_wiring.settle().run()
    # Every minute, mostly with nothing to close: only a run that paid prizes is news.
    log = logger.info if outcome.prizes else logger.debug
    log("settled", extra={"periods": outcome.settled, "prizes": outcome.prizes})
    return {"settled": outcome.settled, "prizes": outcome.prizes}
