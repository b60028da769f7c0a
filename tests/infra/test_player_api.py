"""The player API in the synthesized stack: IAM auth on every route, its callers' policy and
role, the function's rights on the player table, throttling and access logs."""

from __future__ import annotations

import json

import pytest

from infra.constructs.player_api import ROUTES
from shared.player_api.settings import PLAYER_API_ENV, player_api_settings

from .conftest import Synth
from .test_stack import as_list, function, logical_id_of, role_statements

pytestmark = pytest.mark.infra

HANDLER = "functions.player_api.handler.handler"


def _api_id(synth: Synth) -> str:
    return logical_id_of(synth, "AWS::ApiGatewayV2::Api", "/PlayerApi/")


def test_given_the_player_api_then_every_route_needs_a_sigv4_signed_iam_caller(synth):
    api_id = _api_id(synth)
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == {"Ref": api_id}
    }

    # Exactly the declared routes (the app's OpenAPI document is checked against the same
    # list in tests/player_api), each behind the IAM authorizer.
    assert set(routes) == {f"{method.value} {path}" for path, method in ROUTES}
    assert "GET /v1/players/{player_id}/inbox" in routes
    assert {props["AuthorizationType"] for props in routes.values()} == {"AWS_IAM"}


def test_the_caller_policy_may_invoke_only_this_apis_v1_routes_and_the_role_carries_it(synth):
    [(policy_id, policy)] = [
        (k, v)
        for k, v in synth.resources("AWS::IAM::ManagedPolicy").items()
        if "/PlayerApi/CallerPolicy" in v["Metadata"]["aws:cdk:path"]
    ]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    role_id = logical_id_of(synth, "AWS::IAM::Role", "/PlayerApi/CallerRole")
    role = synth.template["Resources"][role_id]["Properties"]

    assert as_list(statement["Action"]) == ["execute-api:Invoke"]
    resource = json.dumps(statement["Resource"])
    assert _api_id(synth) in resource
    assert resource.endswith('"/$default/*/v1/*"]]}')
    assert role["ManagedPolicyArns"] == [{"Ref": policy_id}]
    assert {"PlayerApiUrl", "PlayerApiCallerRoleArn", "PlayerApiCallerPolicyArn"} <= set(
        synth.template["Outputs"]
    )


def test_the_function_may_read_and_transact_on_the_player_table_and_only_read_config(synth):
    _, props = function(synth, HANDLER)
    player_table = logical_id_of(synth, "AWS::DynamoDB::Table", "PlayerTable")
    config_table = logical_id_of(synth, "AWS::DynamoDB::Table", "ConfigTable")
    statements = role_statements(synth, props)

    on_tables = [s for s in statements if "dynamodb:" in json.dumps(s["Action"])]
    by_resource = {json.dumps(s["Resource"]): set(as_list(s["Action"])) for s in on_tables}

    assert len(on_tables) == 3
    [player] = [a for r, a in by_resource.items() if player_table in r and "index" not in r]
    assert player == {
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
    }
    # Leaderboards: the ranking index (Query only).
    [index] = [a for r, a in by_resource.items() if "/index/gsi1" in r]
    assert index == {"dynamodb:Query"}
    [config] = [a for r, a in by_resource.items() if config_table in r]
    assert config == {"dynamodb:GetItem", "dynamodb:Query"}


def test_the_stage_is_throttled_and_access_logs_name_the_iam_caller(synth):
    [stage] = [
        s
        for s in synth.resources("AWS::ApiGatewayV2::Stage").values()
        if "/PlayerApi/" in s["Metadata"]["aws:cdk:path"]
    ]
    props = stage["Properties"]

    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert "$context.identity.userArn" in props["AccessLogSettings"]["Format"]


def test_the_function_gets_every_setting_it_needs(synth):
    _, props = function(synth, HANDLER)
    env = props["Environment"]["Variables"]

    assert set(PLAYER_API_ENV.values()) <= set(env)
    player_api_settings(dict.fromkeys(env, "x1"))
