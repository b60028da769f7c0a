"""Backtest Lambda: one shard of an AWS backtest, or the reduce step (Step Functions calls it).

Wiring only: read the published config (the items the current publication made live) from
the config table, then `shared.backtest.shards`. Input, from the state machine:
`{"step": "check", "run", "from", "to", "draft"}` (first: refuses a bad request before
Athena runs), `{"step": "shard", "run", "shard", "from", "to", "draft"}` or
`{"step": "reduce", "run", "from", "to", "draft"}` (days are UTC `YYYY-MM-DD`; `draft` a
draft document, docs/backtest.md). Nothing is written but the run's files under
`backtests/<run>/` in the lake bucket.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Any, Literal

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from shared.adapters.backtest_files import S3BacktestFiles
from shared.adapters.config_store import ConfigStore
from shared.backtest.config_items import ConfigItems
from shared.backtest.shards import check_request, reduce_shards, run_shard
from shared.domain.game.game_config import GAME_KINDS
from shared.services.config_cache import published_items

logger = Logger(service="engage-backtest")


class BacktestSettings(BaseModel):
    """The function's environment (no silent defaults), validated at each invocation."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    lake_bucket: str = Field(alias="ENGAGE_LAKE_BUCKET", min_length=1)
    config_table: str = Field(alias="ENGAGE_CONFIG_TABLE", min_length=1)


class BacktestStep(BaseModel):
    """One invocation's input; a bad one fails the step with the field and why."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    step: Literal["check", "shard", "reduce"]
    run: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]
    shard: Annotated[int, Field(ge=0, le=100_000)] | None = None
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    draft: dict[str, Any] = Field(default_factory=dict)


def _published(store: ConfigStore) -> ConfigItems:
    items = published_items(store, store.published_version())
    return ConfigItems(
        rules=items["rule"],
        templates=items["template"],
        policies=items["policy"],
        segments=items["segment"],
        game={kind: items[kind] for kind in GAME_KINDS},
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = BacktestSettings.model_validate(dict(os.environ))
    step = BacktestStep.model_validate(event)
    files = S3BacktestFiles(settings.lake_bucket, boto3.client("s3"))
    published = _published(ConfigStore(settings.config_table, boto3.client("dynamodb")))
    logger.info("backtest step", extra={"step": step.step, "run": step.run, "shard": step.shard})
    if step.step == "check":
        return check_request(published, step.draft, step.date_from, step.date_to)
    if step.step == "shard":
        if step.shard is None:
            raise ValueError("shard: required for the shard step")
        return run_shard(
            files, published, step.draft, step.run, step.shard, step.date_from, step.date_to
        )
    return reduce_shards(files, published, step.draft, step.run, step.date_from, step.date_to)
