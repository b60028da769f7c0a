"""An HTTP API with one `$default` stage, throttled, with JSON access logs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.access_logs import JsonAccessLogs


@dataclass(frozen=True)
class LoggedHttpApi:
    access_logs: logs.LogGroup
    api: apigw.HttpApi
    stage: apigw.HttpStage


def logged_http_api(
    scope: Construct,
    *,
    description: str,
    log_retention: logs.RetentionDays,
    removal: RemovalPolicy,
    rate_limit: int,
    burst_limit: int,
    log_identity: Mapping[str, str],
) -> LoggedHttpApi:
    """Create the API, its stage and log group as children of `scope` (ids AccessLogs, Api,
    Stage), so constructs that used to build them by hand keep their logical ids."""
    access_logs = logs.LogGroup(
        scope, "AccessLogs", retention=log_retention, removal_policy=removal
    )
    api = apigw.HttpApi(scope, "Api", description=description, create_default_stage=False)
    # Not "Default": CDK drops that name from logical ids, which would clash with the API's.
    stage = api.add_stage(
        "Stage",
        stage_name="$default",
        auto_deploy=True,
        throttle=apigw.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
        access_log_settings=JsonAccessLogs(access_logs, log_identity),
    )
    return LoggedHttpApi(access_logs, api, stage)
