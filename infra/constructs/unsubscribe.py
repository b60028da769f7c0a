"""One-click unsubscribe: its own public HTTP API, function, and the signing-key secret.

A separate API and function rather than a route on the console's API:
- every marketing email carries this URL, so it is public and hit by link scanners; its own
  stage throttle keeps that traffic from eating the console's budget, and the console's URL
  is not published in every email;
- least privilege: this function may only read the key and put one kind of event with its
  own source; it holds no table access, no Cognito rights, no config writes (the console's
  role has those), and the console's role gets no PutEvents.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from events.models import UNSUBSCRIBE_SOURCE, ConsentChanged
from infra.config import LOG_RETENTION_NAMES, StackConfig
from infra.constructs.bus import EngageBus
from infra.constructs.console import CONSOLE_LOG_IDENTITY
from infra.constructs.functions import (
    AppFunction,
    app_function,
)
from infra.constructs.http_api import logged_http_api
from infra.nag import acknowledge
from shared.services.unsubscribe import PATH
from shared.settings import ENV

UNSUBSCRIBE_TIMEOUT = Duration.seconds(10)
# People click one link each; mail providers POST once per message. Scanners fetch in bursts.
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100
# Rotating the key would break every link already sent (they are valid for 60 days).
_ROTATION_REASON = (
    "The secret is the HMAC key of the unsubscribe links in emails already sent (valid for "
    "60 days); rotating it would silently break every one of them. It is generated at deploy, "
    "never leaves AWS, and only the dispatch and unsubscribe roles may read it."
)


class Unsubscribe(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StackConfig, bus: EngageBus) -> None:
        super().__init__(scope, id)
        removal = config.removal_policy
        log_retention = logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]]

        self.secret = secretsmanager.Secret(
            self,
            "SigningKey",
            description="engage: HMAC key of one-click unsubscribe links",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=removal,
        )
        acknowledge(self.secret, "AwsSolutions-SMG4", _ROTATION_REASON)

        # The access log's path has no query string, so tokens are not logged.
        http = logged_http_api(
            self,
            description="engage one-click unsubscribe (public, signed links)",
            log_retention=log_retention,
            removal=removal,
            rate_limit=THROTTLE_RATE_PER_SECOND,
            burst_limit=THROTTLE_BURST,
            log_identity=CONSOLE_LOG_IDENTITY,
        )
        self.access_logs, self.api, self.stage = http.access_logs, http.api, http.stage

        self.function = app_function(
            self,
            config=config,
            handler="functions.unsubscribe.handler.handler",
            service="engage-unsubscribe",
            description="one-click unsubscribe (signed links -> consent changes)",
            timeout=UNSUBSCRIBE_TIMEOUT,
            removal=removal,
            environment={
                ENV["bus_arn"]: bus.bus.event_bus_arn,
                ENV["unsubscribe_secret_arn"]: self.secret.secret_arn,
            },
        )
        self.secret.grant_read(self.function.role)
        # Only consent changes, only with its own source: it cannot fake any other event.
        self.function.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.bus.event_bus_arn],
                conditions={
                    "StringEquals": {
                        "events:source": UNSUBSCRIBE_SOURCE,
                        "events:detail-type": ConsentChanged.detail_type,
                    }
                },
            )
        )

        integration = integrations.HttpLambdaIntegration("Unsubscribe", self.function.function)
        for method in (apigw.HttpMethod.GET, apigw.HttpMethod.POST):
            for route in self.api.add_routes(path=PATH, methods=[method], integration=integration):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    f"{method.value} {PATH} is public on purpose: RFC 8058 one-click "
                    "unsubscribe must work without a login. The signed, expiring HMAC token in "
                    "the link is the authorization; a forged or expired one is refused.",
                )

        self.url = f"https://{self.api.api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}{PATH}"
        CfnOutput(
            Stack.of(self),
            "UnsubscribeUrl",
            value=self.url,
            description="One-click unsubscribe route (every marketing email links here)",
        )

    def wire_dispatch(self, dispatch: AppFunction) -> None:
        """Dispatch signs the links it puts in marketing emails: URL and key."""
        dispatch.function.add_environment(ENV["unsubscribe_base_url"], self.url)
        dispatch.function.add_environment(ENV["unsubscribe_secret_arn"], self.secret.secret_arn)
        self.secret.grant_read(dispatch.role)
