"""The player API: an HTTP API the operator's BACKEND calls (never players directly).

Every route has API Gateway's IAM authorizer: a request must be SigV4-signed by a principal
allowed `execute-api:Invoke` on this API. The stack creates that permission as the
`PlayerApiCaller` managed policy (this API's routes only) and a role carrying it, which the
operator's backend assumes (or the operator attaches the policy to the backend's own role).
IAM rather than API keys: API keys are for usage plans, not authentication, and IAM gives
signed, expiring, auditable credentials without a secret of ours to rotate.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import LOG_RETENTION_NAMES, StackConfig
from infra.constructs.functions import (
    app_function,
)
from infra.constructs.http_api import logged_http_api
from infra.constructs.tables import Tables
from infra.nag import acknowledge
from shared.player_api.settings import PLAYER_API_ENV

PLAYER_API_TIMEOUT = Duration.seconds(10)
# Backends call per player screen view: sized for a busy game, tight enough to cap a loop.
THROTTLE_RATE_PER_SECOND = 200
THROTTLE_BURST = 400
ROUTES = (
    ("/v1/players/{player_id}/inbox", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/inbox/{message_id}/read", apigw.HttpMethod.POST),
    ("/v1/players/{player_id}/summary", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/points", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/points/ledger", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/tier", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/badges", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/missions", apigw.HttpMethod.GET),
    ("/v1/openapi.json", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/spins", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/wheels/{wheel_id}/spin", apigw.HttpMethod.POST),
    ("/v1/store/items", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/store/{item_id}/buy", apigw.HttpMethod.POST),
    ("/v1/leaderboards/{board_id}", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/leaderboards/{board_id}", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/recommendations", apigw.HttpMethod.GET),
    ("/v1/players/{player_id}/restock", apigw.HttpMethod.GET),
)
# Query reads the inbox, state and counts; UpdateItem sets the read flag. A spin or a
# purchase loads the player (BatchGetItem), reads its record (GetItem) and pools' usage
# (BatchGetItem) and commits one transaction of Puts and Updates (TransactWriteItems is
# not an IAM action: each item is authorized as its PutItem / UpdateItem).
PLAYER_TABLE_ACTIONS = (
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
)
# The published config (tier program, badges, missions, wheels, store): read only.
CONFIG_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")


# The IAM caller (its ARN) of every request.
PLAYER_API_LOG_IDENTITY = {
    "caller": "$context.identity.userArn",
    "error": "$context.error.message",
}


class PlayerApi(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StackConfig, tables: Tables) -> None:
        super().__init__(scope, id)
        removal = config.removal_policy
        log_retention = logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]]

        http = logged_http_api(
            self,
            description="engage player API (inbox, summary) for the operator's backend; IAM auth",
            log_retention=log_retention,
            removal=removal,
            rate_limit=THROTTLE_RATE_PER_SECOND,
            burst_limit=THROTTLE_BURST,
            log_identity=PLAYER_API_LOG_IDENTITY,
        )
        self.access_logs, self.api, self.stage = http.access_logs, http.api, http.stage

        self.function = app_function(
            self,
            config=config,
            handler="functions.player_api.handler.handler",
            service="engage-player-api",
            description="player API (in-app inbox, summary)",
            timeout=PLAYER_API_TIMEOUT,
            removal=removal,
            environment={
                PLAYER_API_ENV["player_table"]: tables.player_table.table_name,
                PLAYER_API_ENV["config_table"]: tables.config_table.table_name,
            },
        )
        iam.Grant.add_to_principal(
            grantee=self.function.role,
            actions=list(PLAYER_TABLE_ACTIONS),
            resource_arns=[tables.player_table.table_arn],
        )
        iam.Grant.add_to_principal(
            grantee=self.function.role,
            actions=list(CONFIG_TABLE_ACTIONS),
            resource_arns=[tables.config_table.table_arn],
        )
        # Leaderboards: top-N and ranks come from the board index (Query only).
        tables.grant_board_index_read(self.function.role)

        integration = integrations.HttpLambdaIntegration("PlayerApi", self.function.function)
        iam_auth = authorizers.HttpIamAuthorizer()
        for path, method in ROUTES:
            self.api.add_routes(
                path=path, methods=[method], integration=integration, authorizer=iam_auth
            )

        # --- who may call it ------------------------------------------------------------
        invoke_arn = self.api.arn_for_execute_api("*", "/v1/*", "$default")
        self.caller_policy = iam.ManagedPolicy(
            self,
            "CallerPolicy",
            description="engage: call the player API (execute-api:Invoke on its /v1 routes only)",
            statements=[
                iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[invoke_arn])
            ],
        )
        acknowledge(
            self.caller_policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
            # cdk-nag names the API by its logical id (stable: it derives from the path).
            "<AWS::AccountId>:<PlayerApi308E245C>/$default/*/v1/*]",
            "The wildcards are the player ids and message ids in the paths (unbounded by "
            "nature) and the methods of /v1; the grant is limited to this one API's stage.",
        )
        # Trusts this account: an operator's backend role in it must also be allowed
        # sts:AssumeRole on this role, so trust alone grants nobody anything.
        self.caller_role = iam.Role(
            self,
            "CallerRole",
            description="engage: assumed by the operator's backend to call the player API",
            assumed_by=iam.AccountRootPrincipal(),
            managed_policies=[self.caller_policy],
            max_session_duration=Duration.hours(1),
        )

        self.url = f"https://{self.api.api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        outputs = {
            "PlayerApiUrl": (self.url, "Player API (SigV4, service execute-api)"),
            "PlayerApiCallerRoleArn": (
                self.caller_role.role_arn,
                "The operator's backend assumes this role to call the player API",
            ),
            "PlayerApiCallerPolicyArn": (
                self.caller_policy.managed_policy_arn,
                "Or attach this policy to the backend's own role",
            ),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(Stack.of(self), name, value=value, description=description)
