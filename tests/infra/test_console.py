"""The console in the synthesized stack: API routes and auth, Cognito, the function's rights."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.console.settings import CONSOLE_ENV, console_settings

from .conftest import Synth
from .test_stack import as_list, function, logical_id_of, role_statements

pytestmark = pytest.mark.infra

CONSOLE_HANDLER = "functions.console.handler.handler"
PUBLIC_ROUTES = {"GET /", "GET /static/{name}", "GET /console-config.json", "POST /auth/token"}


def routes(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
    }


def test_every_api_route_needs_a_cognito_jwt_and_only_the_sign_in_page_is_public(synth):
    found = routes(synth)
    authorizer_id = logical_id_of(synth, "AWS::ApiGatewayV2::Authorizer", "Console")

    api = {key: props for key, props in found.items() if " /api/" in key}
    public = {
        key for key, props in found.items() if props.get("AuthorizationType", "NONE") == "NONE"
    }

    assert set(api) == {f"{m} /api/{{proxy+}}" for m in ("GET", "POST", "PUT", "DELETE")}
    for props in api.values():
        assert props["AuthorizationType"] == "JWT"
        assert props["AuthorizerId"] == {"Ref": authorizer_id}
    # The unsubscribe API's two routes are the stack's only other public ones (signed links).
    assert public == PUBLIC_ROUTES | {"GET /unsubscribe", "POST /unsubscribe"}
    # Nothing else reaches the function: no catch-all, no dev login.
    assert "$default" not in found
    assert not [key for key in found if "/dev" in key]


def test_the_jwt_authorizer_trusts_only_the_console_pool_and_app_client(synth):
    [authorizer] = synth.resources("AWS::ApiGatewayV2::Authorizer").values()
    config = authorizer["Properties"]["JwtConfiguration"]
    pool_id = logical_id_of(synth, "AWS::Cognito::UserPool", "Console")
    client_id = logical_id_of(synth, "AWS::Cognito::UserPoolClient", "Console")

    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert config["Audience"] == [{"Ref": client_id}]
    assert pool_id in json.dumps(authorizer["Properties"]["JwtConfiguration"]["Issuer"])


def test_the_user_pool_is_invite_only_with_mfa_a_strong_password_and_the_three_roles(synth):
    [pool] = synth.resources("AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    policy = props["Policies"]["PasswordPolicy"]

    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert policy["MinimumLength"] >= 14
    assert all(
        policy[k]
        for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    groups = {
        g["Properties"]["GroupName"]
        for g in synth.resources("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {"admin", "marketer", "viewer"}


def test_the_app_client_is_a_public_pkce_code_flow_client_returning_to_the_console(synth):
    [client] = synth.resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]

    assert props.get("GenerateSecret", False) is False
    assert props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    api_id = logical_id_of(synth, "AWS::ApiGatewayV2::Api", "Console")
    assert api_id in json.dumps(props["CallbackURLs"])


def test_the_stage_is_throttled_and_access_logged(synth):
    [stage] = [
        s
        for s in synth.resources("AWS::ApiGatewayV2::Stage").values()
        if "/Console/" in s["Metadata"]["aws:cdk:path"]
    ]
    props = stage["Properties"]

    assert props["StageName"] == "$default"
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert "DestinationArn" in props["AccessLogSettings"]
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]


def test_the_console_reads_players_and_writes_only_config(synth):
    _, props = function(synth, CONSOLE_HANDLER)
    statements = role_statements(synth, props)
    player_table = logical_id_of(synth, "AWS::DynamoDB::Table", "PlayerTable")
    config_table = logical_id_of(synth, "AWS::DynamoDB::Table", "ConfigTable")

    def actions_on(table_id: str) -> set[str]:
        return {
            action
            for s in statements
            if table_id in json.dumps(s["Resource"])
            for action in as_list(s["Action"])
        }

    # Scan only for the reach estimate over player states, and on the player table only.
    assert actions_on(player_table) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    }
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= actions_on(
        config_table
    )
    assert "dynamodb:Scan" not in actions_on(config_table)


def test_the_console_function_gets_every_setting_it_needs(synth):
    _, props = function(synth, CONSOLE_HANDLER)
    env = props["Environment"]["Variables"]

    assert set(CONSOLE_ENV.values()) <= set(env)
    # Tokens resolve at deploy time; the settings model accepts the shapes they take.
    shapes = {
        CONSOLE_ENV["auth_domain"]: "engage-1.auth.eu-west-1.amazoncognito.com",
        CONSOLE_ENV["user_pool_id"]: "eu-west-1_AbC123",
    }
    console_settings({k: shapes.get(k, "x1") for k in env})


def test_the_console_manages_users_of_its_own_pool_only(synth):
    _, props = function(synth, CONSOLE_HANDLER)
    pool_id = logical_id_of(synth, "AWS::Cognito::UserPool", "Console")

    idp = [s for s in role_statements(synth, props) if "cognito-idp" in json.dumps(s["Action"])]

    assert idp
    for statement in idp:
        assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}
        assert not [a for a in as_list(statement["Action"]) if "*" in a or "Delete" in a]


def test_the_reports_tab_may_query_the_lake_workgroup_and_read_the_lake_only(synth):
    _, props = function(synth, CONSOLE_HANDLER)
    env = props["Environment"]["Variables"]
    workgroup_id = logical_id_of(synth, "AWS::Athena::WorkGroup", "Lake")
    statements = role_statements(synth, props)

    athena = [s for s in statements if "athena:" in json.dumps(s["Action"])]
    s3 = [s for s in statements if "s3:" in json.dumps(s["Action"])]
    glue = [s for s in statements if "glue:" in json.dumps(s["Action"])]

    assert env[CONSOLE_ENV["lake_workgroup"]] == {"Ref": workgroup_id}
    assert env[CONSOLE_ENV["lake_database"]].startswith("engage_lake_")
    [query] = athena
    assert set(as_list(query["Action"])) == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:BatchGetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
    }
    assert workgroup_id in json.dumps(query["Resource"])
    [catalog] = glue
    assert set(as_list(catalog["Action"])) == {
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
    }
    # Lake files are read-only; only Athena's result prefix is written.
    [write] = [s for s in s3 if "s3:PutObject" in as_list(s["Action"])]
    assert "athena-results/*" in json.dumps(write["Resource"])
    assert not [s for s in s3 if "s3:DeleteObject" in as_list(s["Action"])]
