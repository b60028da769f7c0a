"""Leaderboards in the stack: ranking index, settle function on a schedule, least privilege."""

from __future__ import annotations

import json

import pytest

from shared.adapters.board_items import BOARD_STREAM_FILTER

from .conftest import Synth
from .test_stack import function

pytestmark = pytest.mark.infra

SETTLE = "functions.leaderboard_settle.handler.handler"


def _policy_of(synth: Synth, role_logical_id: str) -> str:
    docs = [
        json.dumps(p["Properties"]["PolicyDocument"])
        for p in synth.resources("AWS::IAM::Policy").values()
        if any(r.get("Ref") == role_logical_id for r in p["Properties"].get("Roles", []))
    ]
    return "\n".join(docs)


def test_the_player_table_has_a_keys_only_ranking_index(synth: Synth):
    (table,) = [
        t
        for t in synth.resources("AWS::DynamoDB::Table").values()
        if "StreamSpecification" in t["Properties"]
    ]
    (index,) = table["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "gsi1"
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["gsi1pk", "gsi1sk"]


def test_the_settle_function_runs_every_minute_from_a_schedule(synth: Synth):
    settle_id, _ = function(synth, SETTLE)
    (schedule,) = synth.resources("AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(1 minute)"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [settle_id, "Arn"]}


def test_the_settle_function_may_only_put_prize_events_as_the_leaderboard_source(synth: Synth):
    _, props = function(synth, SETTLE)
    policy = _policy_of(synth, props["Role"]["Fn::GetAtt"][0])
    assert '"events:source": "engage.leaderboard"' in policy
    assert '"events:detail-type": "engage.leaderboard.prize"' in policy
    assert "dynamodb:DeleteItem" not in policy
    assert "/index/gsi1" in policy


def test_the_player_api_may_query_the_ranking_index_and_read_config(synth: Synth):
    _, props = function(synth, "functions.player_api.handler.handler")
    policy = _policy_of(synth, props["Role"]["Fn::GetAtt"][0])
    assert "/index/gsi1" in policy
    assert "ENGAGE_CONFIG_TABLE" in json.dumps(props["Environment"])


INDEX = "functions.leaderboard_index.handler.handler"


def test_the_index_function_reads_only_state_records_that_name_entries(synth: Synth):
    index_id, _ = function(synth, INDEX)
    (mapping,) = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": index_id}
    ]
    props = mapping["Properties"]
    (pattern,) = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == BOARD_STREAM_FILTER
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumBatchingWindowInSeconds"] == 1
    assert "OnFailure" in props["DestinationConfig"]


def test_the_index_function_may_put_only_an_entry_items_attributes(synth: Synth):
    _, props = function(synth, INDEX)
    policy = json.loads(_policy_of(synth, props["Role"]["Fn::GetAtt"][0]))
    (put,) = [s for s in policy["Statement"] if s["Action"] == "dynamodb:PutItem"]
    allowed = put["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert sorted(allowed) == sorted(["pk", "sk", "gsi1pk", "gsi1sk", "expires_at", "v"])
    actions = {
        action
        for statement in policy["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert not actions & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
