"""Lake stream Lambda: the player table's stream -> decision and delivery rows -> Firehose.

Wiring only. The stream is durable and retried: a failed batch comes again (bisected), and
the reports count distinct row ids, so a row written twice counts once.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from shared.adapters.lake_firehose import FirehoseLake
from shared.adapters.lake_stream import rows_from_records

logger = Logger(service="engage-lake")
_lake: FirehoseLake | None = None


class LakeSettings(BaseModel):
    """The writer's environment, validated once per cold start (no silent defaults)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    decisions_stream: str = Field(alias="ENGAGE_LAKE_DECISIONS_STREAM", min_length=1)
    deliveries_stream: str = Field(alias="ENGAGE_LAKE_DELIVERIES_STREAM", min_length=1)


def _built() -> FirehoseLake:
    global _lake
    if _lake is None:
        settings = LakeSettings.model_validate(dict(os.environ))
        _lake = FirehoseLake(
            {"decisions": settings.decisions_stream, "deliveries": settings.deliveries_stream},
            boto3.client("firehose"),
        )
    return _lake


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rows = rows_from_records(event.get("Records", []))
    written = _built().put(rows)
    logger.info("lake rows", extra={"records": len(event.get("Records", [])), "rows": written})
    return {"rows": written}
