"""Backtests at scale: Athena selects shards, a Distributed Map replays them, a reduce step."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.backtest import MAX_CONCURRENCY, SHARDS, UNLOAD_SQL

from .conftest import Synth
from .test_stack import as_list, function, role_statements

pytestmark = pytest.mark.infra

HANDLER = "functions.backtest.handler.handler"


def _definition(synth: Synth) -> dict[str, Any]:
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "REF" for p in parts)
    definition: dict[str, Any] = json.loads(text)
    return definition


def test_the_request_is_checked_before_athena_selects_the_shards(synth):
    states = _definition(synth)["States"]

    assert _definition(synth)["StartAt"] == "Check"
    assert states["Check"]["Parameters"]["step"] == "check"
    assert states["Check"]["Next"] == "SelectShards"
    assert states["SelectShards"]["Resource"].endswith(":states:::athena:startQueryExecution.sync")


def test_athena_unloads_every_event_up_to_the_window_end_partitioned_by_player_shard(synth):
    query = _definition(synth)["States"]["SelectShards"]["Parameters"]["QueryString.$"]

    assert f"% {SHARDS} AS shard" in UNLOAD_SQL
    assert "xxhash64(to_utf8(player_id))" in query
    assert "WHERE dt <= {}" in query
    assert "partitioned_by = ARRAY[\\'shard\\']" in query
    assert "States.Format('\\'{}\\'', $.to)" in query


def test_a_distributed_map_replays_every_shard_in_the_backtest_function(synth):
    states = _definition(synth)["States"]
    each = states["ReplayShards"]

    assert (
        states["ListShards"]["Parameters"]["shards.$"] == f"States.ArrayRange(0, {SHARDS - 1}, 1)"
    )
    assert each["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert each["MaxConcurrency"] == MAX_CONCURRENCY
    assert each["ItemSelector"]["step"] == "shard"
    assert each["ItemSelector"]["shard.$"] == "$$.Map.Item.Value"
    assert each["Next"] == "Reduce"
    assert states["Reduce"]["Parameters"]["step"] == "reduce"


def test_the_state_machine_logs_every_step_and_is_traced(synth):
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]

    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_the_backtest_function_writes_only_its_runs_files_and_only_reads_config(synth):
    _, props = function(synth, HANDLER)
    statements = role_statements(synth, props)
    puts = [s for s in statements if "s3:PutObject" in as_list(s["Action"])]
    writes_to_tables = [
        a
        for s in statements
        for a in as_list(s["Action"])
        if a.startswith("dynamodb:Put")
        or a.startswith("dynamodb:Update")
        or a.startswith("dynamodb:Delete")
    ]

    assert len(puts) == 1
    assert json.dumps(puts[0]["Resource"]).endswith('"/backtests/*"]]}')
    assert writes_to_tables == []
    assert "ENGAGE_LAKE_BUCKET" in props["Environment"]["Variables"]


def test_the_state_machine_grants_no_data_action_on_every_resource(synth):
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if any(r.get("Ref") == role_id for r in policy["Properties"].get("Roles", []))
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    on_everything = {
        action
        for statement in statements
        if statement["Resource"] == "*"
        for action in as_list(statement["Action"])
    }

    # Only the state machine's own tracing and log delivery: no S3, Glue or Athena action.
    assert on_everything
    assert {action.split(":")[0] for action in on_everything} <= {"xray", "logs"}
    athena = [s for s in statements if "athena:StartQueryExecution" in as_list(s["Action"])]
    assert json.dumps(athena[0]["Resource"]).count("workgroup/") == 1
