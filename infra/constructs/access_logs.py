"""JSON access-log lines for the HTTP APIs' stages: who called what, when, how it went."""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_logs as logs

_COMMON = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
}


@jsii.implements(apigw.IAccessLogSettings)
class JsonAccessLogs:
    """Common request fields plus the API's own identity fields (never bodies or emails)."""

    def __init__(self, log_group: logs.ILogGroup, identity: Mapping[str, str]) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)
        self._fields = {**_COMMON, **identity}

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(self._fields))
