"""The marketer console: HTTP API, Cognito user pool (hosted UI), and the console function.

- `/api/*` goes through API Gateway's JWT authorizer (the pool's tokens for the console
  app client); the function reads the role from `cognito:groups`.
- `/`, `/static/{name}`, `/console-config.json` and `/auth/token` are public: the page must
  load, and exchange its sign-in code, before anyone has a token. Nothing else is routed,
  so no other path (the local-only `/dev/login` included) ever reaches the function.
"""

from __future__ import annotations

import re

from aws_cdk import Aws, CfnOutput, Duration, Fn, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import LOG_RETENTION_NAMES, ContextError, StackConfig
from infra.constructs.functions import (
    app_function,
)
from infra.constructs.http_api import logged_http_api
from infra.constructs.tables import Tables
from infra.nag import acknowledge
from shared.console.roles import Role
from shared.console.settings import CONSOLE_ENV

CONSOLE_TIMEOUT = Duration.seconds(15)
# Marketers click; they do not script. Generous for a team, tight for a flood.
THROTTLE_RATE_PER_SECOND = 20
THROTTLE_BURST = 40
PUBLIC_ROUTES = (
    ("/", apigw.HttpMethod.GET),
    ("/static/{name}", apigw.HttpMethod.GET),
    ("/console-config.json", apigw.HttpMethod.GET),
    ("/auth/token", apigw.HttpMethod.POST),
)
GROUP_DESCRIPTIONS = {
    Role.ADMIN: "Everything marketers can do, and manages console users",
    Role.MARKETER: "Edits, dry-runs, publishes and rolls back rules and templates",
    Role.VIEWER: "Reads config, publications and players; dry-runs; changes nothing",
}
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# Read-only on the player table; the console never writes player data. Scan is for the
# reach estimate only (a bounded scan of player states, docs/console.md "Reach estimate").
PLAYER_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
# Config items, audit entries and publications: conditional single-item writes and
# transactions (each transaction item is authorized as its own Put/Update/Delete/Check).
CONFIG_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)


USER_ADMIN_ACTIONS = (
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminUserGlobalSignOut",
)


def _domain_prefix(scope: Construct) -> str:
    """The hosted UI's domain prefix (unique per region): context, or one from the account."""
    value = scope.node.try_get_context("console_domain_prefix")
    if value is None:
        return Fn.join("-", ["engage-console", Aws.ACCOUNT_ID])
    text = str(value)
    if not _DOMAIN_PREFIX.match(text) or any(w in text for w in ("aws", "amazon", "cognito")):
        raise ContextError(
            "cdk context 'console_domain_prefix': lower-case letters, digits and hyphens, "
            "at most 63, without 'aws', 'amazon' or 'cognito'"
        )
    return text


# The caller's identity (sub, not email) for auditing console use.
CONSOLE_LOG_IDENTITY = {
    "user": "$context.authorizer.claims.sub",
    "error": "$context.authorizer.error",
}


class Console(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StackConfig, tables: Tables) -> None:
        super().__init__(scope, id)
        removal = config.removal_policy

        # --- who may sign in ----------------------------------------------------------
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            # Admins invite people; nobody signs themselves up to edit player marketing.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # The console changes what players receive: a stolen password alone is not enough.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Threat protection (compromised-credential and adaptive sign-in checks, enforced)
            # needs the Plus plan: per active user, and a console has few.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.retain_data,
            removal_policy=removal,
        )
        for precedence, role in enumerate((Role.ADMIN, Role.MARKETER, Role.VIEWER)):
            cognito.CfnUserPoolGroup(
                self,
                f"{role.value.title()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role.value,
                description=GROUP_DESCRIPTIONS[role],
                precedence=precedence,
            )
        self.domain = self.user_pool.add_domain(
            "SignIn",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=_domain_prefix(self)),
        )

        # --- the API -------------------------------------------------------------------
        http = logged_http_api(
            self,
            description="engage marketer console (UI and API)",
            log_retention=logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]],
            removal=removal,
            rate_limit=THROTTLE_RATE_PER_SECOND,
            burst_limit=THROTTLE_BURST,
            log_identity=CONSOLE_LOG_IDENTITY,
        )
        self.access_logs, self.api, self.stage = http.access_logs, http.api, http.stage
        console_url = f"https://{self.api.api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/"
        self.client = self.user_pool.add_client(
            "ConsoleClient",
            # A browser app: no secret it could keep; the code is bound to PKCE instead.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[console_url],
                logout_urls=[console_url],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )

        # --- the function --------------------------------------------------------------
        sign_in_domain = Fn.join(
            "", [self.domain.domain_name, ".auth.", Aws.REGION, ".amazoncognito.com"]
        )
        self.function = app_function(
            self,
            config=config,
            handler="functions.console.handler.handler",
            service="engage-console",
            description="marketer console API and UI",
            timeout=CONSOLE_TIMEOUT,
            removal=removal,
            environment={
                CONSOLE_ENV["player_table"]: tables.player_table.table_name,
                CONSOLE_ENV["config_table"]: tables.config_table.table_name,
                CONSOLE_ENV["auth_domain"]: sign_in_domain,
                CONSOLE_ENV["auth_client_id"]: self.client.user_pool_client_id,
                CONSOLE_ENV["user_pool_id"]: self.user_pool.user_pool_id,
            },
        )
        # Admins manage console users through the function: this pool only.
        iam.Grant.add_to_principal(
            grantee=self.function.role,
            actions=list(USER_ADMIN_ACTIONS),
            resource_arns=[self.user_pool.user_pool_arn],
        )
        iam.Grant.add_to_principal(
            grantee=self.function.role,
            actions=list(PLAYER_READ_ACTIONS),
            resource_arns=[tables.player_table.table_arn],
        )
        iam.Grant.add_to_principal(
            grantee=self.function.role,
            actions=list(CONFIG_ACTIONS),
            resource_arns=[tables.config_table.table_arn],
        )

        # --- routes --------------------------------------------------------------------
        integration = integrations.HttpLambdaIntegration("Console", self.function.function)
        jwt = authorizers.HttpJwtAuthorizer(
            "CognitoJwt",
            jwt_issuer=self.user_pool.user_pool_provider_url,
            jwt_audience=[self.client.user_pool_client_id],
        )
        self.api.add_routes(
            path="/api/{proxy+}",
            methods=[
                apigw.HttpMethod.GET,
                apigw.HttpMethod.POST,
                apigw.HttpMethod.PUT,
                apigw.HttpMethod.DELETE,
            ],
            integration=integration,
            authorizer=jwt,
        )
        for path, method in PUBLIC_ROUTES:
            for route in self.api.add_routes(path=path, methods=[method], integration=integration):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    f"{method.value} {path} is public on purpose: the sign-in page and its "
                    "assets must load, and exchange the sign-in code, before the user has a "
                    "token. It serves static files or the code exchange, never config or "
                    "player data; every /api route has the JWT authorizer.",
                )

        self.url = console_url
        stack = Stack.of(self)
        outputs = {
            "ConsoleUrl": (console_url, "The marketer console (sign in with the user pool)"),
            "ConsoleUserPoolId": (self.user_pool.user_pool_id, "Add console users here"),
            "ConsoleClientId": (self.client.user_pool_client_id, "Console app client"),
            "ConsoleSignInDomain": (sign_in_domain, "Cognito hosted sign-in domain"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(stack, name, value=value, description=description)
