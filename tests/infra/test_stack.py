"""The synthesized stack: what each resource must be, read from the real template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Token
from aws_cdk.assertions import Match, Template

from events.models import (
    DETAIL_MODELS,
    ENGINE_SOURCE,
    INTERNAL_DETAIL_SOURCES,
    INTERNAL_SOURCE,
    TimerFired,
)
from events.routing import BUS_RULE_PATTERN, OUTBOX_STREAM_FILTER
from infra.config import STAGE_DEFAULTS
from shared.settings import (
    ENV,
    DispatchSettings,
    EngineSettings,
    dispatch_settings,
    engine_settings,
)

from .conftest import PROD_CONTEXT, Synth, cdk_json_context

pytestmark = pytest.mark.infra

ENGINE_HANDLER = "functions.engine.handler.handler"
DISPATCH_HANDLER = "functions.dispatch.handler.handler"
# Actions that IAM cannot scope to a resource; each is acknowledged in cdk-nag with a reason.
OPERATOR_DETAIL_TYPES = [t for t in DETAIL_MODELS if t not in INTERNAL_DETAIL_SOURCES]
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def logical_id_of(synth: Synth, type_: str, path_fragment: str) -> str:
    """Logical id of the one resource of `type_` whose construct path contains the fragment."""
    ids = [
        logical_id
        for logical_id, resource in synth.resources(type_).items()
        if path_fragment in resource.get("Metadata", {}).get("aws:cdk:path", logical_id)
    ]
    assert len(ids) == 1, f"expected one {type_} matching {path_fragment!r}, found {ids}"
    return ids[0]


def function(synth: Synth, handler: str) -> tuple[str, dict[str, Any]]:
    found = [
        (logical_id, resource["Properties"])
        for logical_id, resource in synth.resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == handler
    ]
    assert len(found) == 1, f"expected one function with handler {handler}"
    return found[0]


def role_statements(synth: Synth, function_props: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every inline policy attached to the function's role."""
    role_id = function_props["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert not synth.template["Resources"][role_id]["Properties"].get("ManagedPolicyArns")
    return statements


def statements_with(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in as_list(s["Action"])]


def esm_for(synth: Synth, function_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        r["Properties"]
        for r in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(found) == 1
    return found[0]


def settings_env(function_props: dict[str, Any]) -> dict[str, str]:
    """The function's environment with CloudFormation references replaced by stand-ins."""
    variables = function_props["Environment"]["Variables"]
    return {
        name: value if isinstance(value, str) else f"resolved-at-deploy:{json.dumps(value)}"
        for name, value in variables.items()
    }


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return Template.from_json(synth.template)


# --- functions -----------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [ENGINE_HANDLER, DISPATCH_HANDLER])
def test_function_runs_python313_on_arm64_with_the_powertools_layer(synth, handler):
    _, props = function(synth, handler)
    version = cdk_json_context()["powertools_layer_version"]

    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 512
    assert props["TracingConfig"] == {"Mode": "Active"}
    (layer,) = props["Layers"]
    parts = layer["Fn::Join"][1]
    assert {"Ref": "AWS::Region"} in parts  # the layer of the region deployed to
    assert parts[-1] == (
        f":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
    )


def test_every_function_ships_the_same_single_code_asset(synth):
    _, engine = function(synth, ENGINE_HANDLER)
    _, dispatch = function(synth, DISPATCH_HANDLER)
    _, console = function(synth, "functions.console.handler.handler")
    _, unsubscribe = function(synth, "functions.unsubscribe.handler.handler")
    _, feedback = function(synth, "functions.feedback.handler.handler")
    _, player_api = function(synth, "functions.player_api.handler.handler")

    assert engine["Code"] == dispatch["Code"] == console["Code"]
    assert unsubscribe["Code"] == feedback["Code"] == engine["Code"] == player_api["Code"]
    _, settle = function(synth, "functions.leaderboard_settle.handler.handler")
    assert settle["Code"] == engine["Code"]
    _, lake_transform = function(synth, "functions.lake.firehose.handler")
    _, lake_writer = function(synth, "functions.lake.stream.handler")
    assert lake_transform["Code"] == lake_writer["Code"] == engine["Code"]
    _, backtest = function(synth, "functions.backtest.handler.handler")
    assert backtest["Code"] == engine["Code"]
    _, board_index = function(synth, "functions.leaderboard_index.handler.handler")
    assert board_index["Code"] == engine["Code"]
    assert len(synth.resources("AWS::Lambda::Function")) == 11


def test_code_asset_holds_only_the_runtime_packages_and_tzdata(synth):
    _, props = function(synth, ENGINE_HANDLER)
    asset_dir = synth.assembly_dir / f"asset.{props['Code']['S3Key'].removesuffix('.zip')}"

    top_level = {p.name for p in asset_dir.iterdir()}
    files = [p for p in asset_dir.rglob("*") if p.is_file()]
    # The runtime packages, and the tz database (Lambda's image has none for zoneinfo).
    assert top_level == {"functions", "shared", "events", "tzdata"}
    assert all((asset_dir / pkg / "__init__.py").is_file() for pkg in top_level)
    assert not (asset_dir / "shared" / "local").exists()
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix == ".pyc"]


@pytest.mark.parametrize(
    ("handler", "settings_model", "load"),
    [
        (ENGINE_HANDLER, EngineSettings, engine_settings),
        (DISPATCH_HANDLER, DispatchSettings, dispatch_settings),
    ],
)
def test_function_environment_sets_every_required_setting(synth, handler, settings_model, load):
    _, props = function(synth, handler)
    env = settings_env(props)
    required = [name for name, field in settings_model.model_fields.items() if field.is_required()]

    missing = [ENV[name] for name in required if ENV[name] not in env]
    assert not missing, f"{handler} lacks env vars {missing}"
    load(env)  # the function's own settings loader accepts it
    stray = {n for n in env if n.startswith("ENGAGE_")} - set(ENV.values())
    assert not stray, f"{handler} sets env vars no settings model reads: {stray}"


@pytest.mark.parametrize(
    ("handler", "service"),
    [(ENGINE_HANDLER, "engage-engine"), (DISPATCH_HANDLER, "engage-dispatch")],
)
def test_function_environment_configures_powertools(synth, handler, service):
    _, props = function(synth, handler)
    variables = props["Environment"]["Variables"]

    assert variables["POWERTOOLS_SERVICE_NAME"] == service
    assert variables["LOG_LEVEL"] == cdk_json_context()["log_level"]


@pytest.mark.parametrize("handler", [ENGINE_HANDLER, DISPATCH_HANDLER])
def test_function_logs_to_its_own_log_group_with_retention(synth, handler):
    _, props = function(synth, handler)
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synth.template["Resources"][log_group_id]

    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert (
        log_group["Properties"]["RetentionInDays"] == STAGE_DEFAULTS["prod"]["log_retention_days"]
    )


@pytest.mark.parametrize("handler", [ENGINE_HANDLER, DISPATCH_HANDLER])
def test_function_policy_has_no_wildcard_beyond_the_acknowledged_ones(synth, handler):
    _, props = function(synth, handler)

    for statement in role_statements(synth, props):
        actions = as_list(statement["Action"])
        assert statement["Effect"] == "Allow"
        assert not [a for a in actions if "*" in a], statement
        if statement["Resource"] == "*" or "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPABLE_ACTIONS, statement
        rendered = json.dumps(statement["Resource"])
        if "*" in rendered and statement["Resource"] != "*":
            # The only other wildcard: every schedule of the stack's own group.
            assert actions, statement
            assert all(a.startswith("scheduler:") for a in actions), statement
            assert rendered.endswith('"/*"]]}'), statement


# --- engine path ---------------------------------------------------------------------------


def test_engine_consumes_the_engine_queue_with_partial_batch_failures(synth):
    engine_id, _ = function(synth, ENGINE_HANDLER)
    queue_id = logical_id_of(synth, "AWS::SQS::Queue", "/EngineQueue/")
    esm = esm_for(synth, engine_id)
    context = cdk_json_context()

    assert esm["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["BatchSize"] == context["engine_batch_size"]
    assert esm["MaximumBatchingWindowInSeconds"] == context["engine_batching_window_seconds"]


def test_engine_queue_outlasts_six_engine_timeouts_and_redrives_after_five(synth):
    _, props = function(synth, ENGINE_HANDLER)
    queue = synth.resources("AWS::SQS::Queue")[
        logical_id_of(synth, "AWS::SQS::Queue", "/EngineQueue/")
    ]["Properties"]
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/Engage/DeadLetterQueue/")

    assert queue["VisibilityTimeout"] >= 6 * props["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }


def test_engine_gets_the_engine_dlq_url_and_may_only_send_to_it(synth):
    _, props = function(synth, ENGINE_HANDLER)
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/Engage/DeadLetterQueue/")
    sends = statements_with(role_statements(synth, props), "sqs:SendMessage")

    assert props["Environment"]["Variables"][ENV["dead_letter_queue_url"]] == {"Ref": dlq_id}
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [dlq_id, "Arn"]}]
    assert as_list(sends[0]["Action"]) == ["sqs:SendMessage"]


@pytest.mark.parametrize("handler", [ENGINE_HANDLER, DISPATCH_HANDLER])
def test_function_may_read_and_write_players_but_only_read_config(synth, handler):
    _, props = function(synth, handler)
    player_id = logical_id_of(synth, "AWS::DynamoDB::Table", "/PlayerTable/")
    config_id = logical_id_of(synth, "AWS::DynamoDB::Table", "/ConfigTable/")
    statements = role_statements(synth, props)

    def actions_on(table_id: str) -> set[str]:
        arn = {"Fn::GetAtt": [table_id, "Arn"]}
        return {
            a for s in statements if arn in as_list(s["Resource"]) for a in as_list(s["Action"])
        }

    # Exactly the calls each one's code makes (no ConditionCheckItem: no transaction has one).
    assert (
        actions_on(player_id)
        == {
            ENGINE_HANDLER: {
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                # Only the engine deletes player items: a reversal removes its REV# items.
                "dynamodb:DeleteItem",
            },
            DISPATCH_HANDLER: {
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            },
        }[handler]
    )
    assert actions_on(config_id) == {"dynamodb:GetItem", "dynamodb:Query"}


def test_engine_queue_keeps_messages_fourteen_days_like_its_dead_letter_queue(synth):
    queues = synth.resources("AWS::SQS::Queue")
    queue = queues[logical_id_of(synth, "AWS::SQS::Queue", "/EngineQueue/")]["Properties"]
    dlq = queues[logical_id_of(synth, "AWS::SQS::Queue", "/Engage/DeadLetterQueue/")]

    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["Properties"]["MessageRetentionPeriod"] == queue["MessageRetentionPeriod"]


def test_engine_concurrency_is_capped_so_a_backlog_cannot_starve_the_apis(synth):
    engine_id, _ = function(synth, ENGINE_HANDLER)

    assert esm_for(synth, engine_id)["ScalingConfig"] == {
        "MaximumConcurrency": cdk_json_context()["engine_max_concurrency"]
    }


def test_every_schedule_parks_undeliverable_fires_in_the_timer_dlq(synth):
    _, dispatch = function(synth, DISPATCH_HANDLER)
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/TimerDeadLetterQueue/")
    dlq_arn = {"Fn::GetAtt": [dlq_id, "Arn"]}
    sweep = only_resource(synth, "AWS::Scheduler::Schedule")

    # Player timers name it on create_schedule (tests/adapters/test_scheduler.py)
    assert dispatch["Environment"]["Variables"][ENV["schedule_dead_letter_queue_arn"]] == dlq_arn
    # and so does the leaderboard sweep
    assert sweep["Target"]["DeadLetterConfig"] == {"Arn": dlq_arn}
    # Scheduler sends dead letters as the schedule's role: both roles may send there.
    senders = [
        policy["Properties"]["Roles"]
        for policy in synth.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in as_list(statement["Action"]) and statement["Resource"] == dlq_arn
    ]
    roles = {ref["Ref"] for roles in senders for ref in roles}
    assert {sweep["Target"]["RoleArn"]["Fn::GetAtt"][0], timer_role_id(synth)} <= roles


def test_the_leaderboard_schedule_role_trusts_scheduler_of_this_account_only(synth):
    sweep = only_resource(synth, "AWS::Scheduler::Schedule")
    role = synth.template["Resources"][sweep["Target"]["RoleArn"]["Fn::GetAtt"][0]]

    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


def only_resource(synth: Synth, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(type_).values()
    props: dict[str, Any] = resource["Properties"]
    return props


def timer_role_id(synth: Synth) -> str:
    return logical_id_of(synth, "AWS::IAM::Role", "/Scheduling/ExecutionRole/")


def test_every_queue_is_encrypted_and_refuses_plain_http(synth, template):
    queues = synth.resources("AWS::SQS::Queue")
    policies = synth.resources("AWS::SQS::QueuePolicy").values()

    # engine queue, its DLQ, rule-delivery DLQ, dispatch DLQ, timer DLQ, SES feedback queue
    # and its DLQ, lake writer DLQ, leaderboard index DLQ
    assert len(queues) == 9
    for queue_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        denies = [
            s
            for p in policies
            if {"Ref": queue_id} in p["Properties"]["Queues"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
        ]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), (
            queue_id
        )


# --- bus -----------------------------------------------------------------------------------


def test_bus_rule_sends_the_contract_pattern_to_the_engine_queue_with_a_delivery_dlq(synth):
    bus_id = logical_id_of(synth, "AWS::Events::EventBus", "/Bus/")
    queue_id = logical_id_of(synth, "AWS::SQS::Queue", "/EngineQueue/")
    delivery_dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/DeliveryDeadLetterQueue/")
    rule = synth.template["Resources"][logical_id_of(synth, "AWS::Events::Rule", "/ToEngine/")]

    assert rule["Properties"]["EventBusName"] == {"Ref": bus_id}
    assert rule["Properties"]["EventPattern"] == BUS_RULE_PATTERN
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [delivery_dlq_id, "Arn"]}}


def test_bus_is_archived_for_replay_of_what_the_engine_consumes(synth):
    bus_id = logical_id_of(synth, "AWS::Events::EventBus", "/Bus/")
    (archive,) = synth.resources("AWS::Events::Archive").values()

    assert archive["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert archive["Properties"]["RetentionDays"] == cdk_json_context()["archive_retention_days"]
    assert archive["Properties"]["EventPattern"] == BUS_RULE_PATTERN


# --- dispatch path -------------------------------------------------------------------------


def test_dispatch_reads_only_outbox_inserts_from_the_player_stream(synth):
    dispatch_id, _ = function(synth, DISPATCH_HANDLER)
    player_id = logical_id_of(synth, "AWS::DynamoDB::Table", "/PlayerTable/")
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/DispatchDeadLetterQueue/")
    esm = esm_for(synth, dispatch_id)

    assert esm["EventSourceArn"] == {"Fn::GetAtt": [player_id, "StreamArn"]}
    (stream_filter,) = esm["FilterCriteria"]["Filters"]
    pattern = json.loads(stream_filter["Pattern"])
    assert pattern == OUTBOX_STREAM_FILTER
    assert pattern["eventName"] == ["INSERT"]
    assert pattern["dynamodb"]["Keys"]["sk"]["S"] == [{"prefix": "OUTBOX#"}]
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["BisectBatchOnFunctionError"] is True
    assert esm["MaximumRetryAttempts"] == 5
    assert esm["StartingPosition"] == "TRIM_HORIZON"
    assert esm["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    }


def test_dispatch_manages_schedules_of_its_group_and_passes_only_the_scheduler_role(synth):
    _, props = function(synth, DISPATCH_HANDLER)
    group_id = logical_id_of(synth, "AWS::Scheduler::ScheduleGroup", "/Group")
    role_id = logical_id_of(synth, "AWS::IAM::Role", "/ExecutionRole/")
    statements = role_statements(synth, props)

    (manage,) = statements_with(statements, "scheduler:CreateSchedule")
    assert set(as_list(manage["Action"])) == {
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
    }
    parts = manage["Resource"]["Fn::Join"][1]
    assert parts[-3:] == [":schedule/", {"Ref": group_id}, "/*"]
    (pass_role,) = statements_with(statements, "iam:PassRole")
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }
    variables = props["Environment"]["Variables"]
    assert variables[ENV["schedule_group"]] == {"Ref": group_id}
    assert variables[ENV["scheduler_role_arn"]] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_dispatch_may_send_email_only_as_the_sender_through_the_configuration_set(synth):
    _, props = function(synth, DISPATCH_HANDLER)
    config_set_id = logical_id_of(synth, "AWS::SES::ConfigurationSet", "/ConfigurationSet/")
    email_from = PROD_CONTEXT["email_from"]
    (send,) = statements_with(role_statements(synth, props), "ses:SendEmail")

    resources = json.dumps(send["Resource"])
    assert f':identity/{email_from}"' in resources
    assert f':identity/{email_from.split("@")[1]}"' in resources
    assert f'":configuration-set/", {{"Ref": "{config_set_id}"}}' in resources
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": email_from}}
    assert props["Environment"]["Variables"][ENV["ses_configuration_set"]] == {"Ref": config_set_id}


def test_dispatch_may_publish_derived_events_to_the_bus_only(synth):
    _, props = function(synth, DISPATCH_HANDLER)
    bus_id = logical_id_of(synth, "AWS::Events::EventBus", "/Bus/")
    (put,) = statements_with(role_statements(synth, props), "events:PutEvents")

    assert put["Resource"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    # Only as the engine and only its derived types: dispatch cannot mint a deposit.
    assert put["Condition"]["StringEquals"] == {"events:source": ENGINE_SOURCE}
    detail_types = put["Condition"]["ForAllValues:StringEquals"]["events:detail-type"]
    assert set(detail_types) == {
        name for name, source in INTERNAL_DETAIL_SOURCES.items() if source == ENGINE_SOURCE
    }
    assert not set(detail_types) & set(OPERATOR_DETAIL_TYPES)


# --- scheduler, email ----------------------------------------------------------------------


def test_schedule_role_may_only_put_timer_events_on_the_bus(synth, template):
    role_id = logical_id_of(synth, "AWS::IAM::Role", "/ExecutionRole/")
    group_id = logical_id_of(synth, "AWS::Scheduler::ScheduleGroup", "/Group")
    bus_id = logical_id_of(synth, "AWS::Events::EventBus", "/Bus/")
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/TimerDeadLetterQueue/")
    role = synth.template["Resources"][role_id]["Properties"]

    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"},
        "aws:SourceArn": {"Fn::GetAtt": [group_id, "Arn"]},
    }
    assert not role.get("ManagedPolicyArns")
    statements = [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Action": "events:PutEvents",
            "Condition": {
                "StringEquals": {
                    "events:source": INTERNAL_SOURCE,
                    "events:detail-type": TimerFired.detail_type,
                }
            },
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [bus_id, "Arn"]},
        },
        # Dead letters are sent as the schedule's role.
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [dlq_id, "Arn"]},
        },
    ]


def test_schedule_group_name_is_left_to_cloudformation(template):
    template.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": Match.absent()})


def test_ses_configuration_set_has_reputation_metrics_and_no_identity_by_default(template):
    template.has_resource_properties(
        "AWS::SES::ConfigurationSet",
        {"ReputationOptions": {"ReputationMetricsEnabled": True}, "Name": Match.absent()},
    )
    template.resource_count_is("AWS::SES::EmailIdentity", 0)


# --- tables --------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["/PlayerTable/", "/ConfigTable/"])
def test_table_is_on_demand_recoverable_encrypted_and_retained(synth, table):
    resource = synth.resources("AWS::DynamoDB::Table")[
        logical_id_of(synth, "AWS::DynamoDB::Table", table)
    ]
    props = resource["Properties"]

    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "pk", "AttributeType": "S"} in props["AttributeDefinitions"]
    assert {"AttributeName": "sk", "AttributeType": "S"} in props["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_player_table_streams_new_images_and_expires_items(synth):
    props = synth.resources("AWS::DynamoDB::Table")[
        logical_id_of(synth, "AWS::DynamoDB::Table", "/PlayerTable/")
    ]["Properties"]

    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# --- outputs -------------------------------------------------------------------------------


def test_stack_outputs_names_and_urls_an_operator_needs(synth):
    assert {
        "BusName",
        "BusArn",
        "PlayerTableName",
        "ConfigTableName",
        "DeadLetterQueueUrl",
        "DeliveryDeadLetterQueueUrl",
        "DispatchDeadLetterQueueUrl",
    } <= set(synth.template["Outputs"])


def test_stack_is_environment_agnostic(synth):
    stack = synth.app.node.find_child(synth.stack_id)

    assert Token.is_unresolved(stack.account)
    assert Token.is_unresolved(stack.region)
