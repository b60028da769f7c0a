"""SES feedback path and the one-click unsubscribe route in the synthesized stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from events.models import FEEDBACK_SOURCE, UNSUBSCRIBE_SOURCE
from infra.config import STAGE_DEFAULTS
from shared.domain.players.feedback import SES_DETAIL_TYPES
from shared.settings import (
    ENV,
    FeedbackSettings,
    UnsubscribeSettings,
    feedback_settings,
    unsubscribe_settings,
)

from .conftest import Synth
from .test_stack import (
    DISPATCH_HANDLER,
    UNSCOPABLE_ACTIONS,
    as_list,
    function,
    logical_id_of,
    role_statements,
    settings_env,
    statements_with,
)

pytestmark = pytest.mark.infra

FEEDBACK_HANDLER = "functions.feedback.handler.handler"
UNSUBSCRIBE_HANDLER = "functions.unsubscribe.handler.handler"


def only(synth: Synth, type_: str, fragment: str) -> dict[str, Any]:
    resource: dict[str, Any] = synth.template["Resources"][logical_id_of(synth, type_, fragment)]
    return resource


@pytest.mark.parametrize(
    ("handler", "model", "load", "service"),
    [
        (FEEDBACK_HANDLER, FeedbackSettings, feedback_settings, "engage-feedback"),
        (UNSUBSCRIBE_HANDLER, UnsubscribeSettings, unsubscribe_settings, "engage-unsubscribe"),
    ],
)
def test_new_functions_get_every_required_setting_and_their_own_logs(
    synth, handler, model, load, service
):
    _, props = function(synth, handler)
    env = settings_env(props)

    required = [n for n, f in model.model_fields.items() if f.is_required()]
    assert not [ENV[n] for n in required if ENV[n] not in env]
    load(env)
    assert not {n for n in env if n.startswith("ENGAGE_")} - {ENV[n] for n in model.model_fields}
    assert env["POWERTOOLS_SERVICE_NAME"] == service
    assert (props["Runtime"], props["Architectures"]) == ("python3.13", ["arm64"])
    log_group = synth.template["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert (
        log_group["Properties"]["RetentionInDays"] == STAGE_DEFAULTS["prod"]["log_retention_days"]
    )


@pytest.mark.parametrize("handler", [FEEDBACK_HANDLER, UNSUBSCRIBE_HANDLER])
def test_new_functions_have_no_wildcard_beyond_x_ray_and_no_table_access(synth, handler):
    _, props = function(synth, handler)

    for statement in role_statements(synth, props):
        actions = as_list(statement["Action"])
        assert not [a for a in actions if a.startswith("dynamodb:") or "*" in a], statement
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPABLE_ACTIONS, statement


def test_ses_publishes_feedback_of_the_configuration_set_to_the_default_bus(synth):
    destination = only(synth, "AWS::SES::ConfigurationSetEventDestination", "/Email/")
    config_set_id = logical_id_of(synth, "AWS::SES::ConfigurationSet", "/Email/")
    props = destination["Properties"]

    assert props["ConfigurationSetName"] == {"Ref": config_set_id}
    event_destination = props["EventDestination"]
    assert event_destination["Enabled"] is True
    # CloudFormation spells them in lower case.
    assert set(event_destination["MatchingEventTypes"]) == {
        "delivery",
        "open",
        "click",
        "bounce",
        "complaint",
    }
    # SES accepts only the default bus as an EventBridge destination.
    assert ":event-bus/default" in json.dumps(event_destination["EventBridgeDestination"])


def test_default_bus_rule_sends_only_our_ses_feedback_to_the_feedback_queue(synth):
    rule = only(synth, "AWS::Events::Rule", "/SesToFeedback/")["Properties"]
    queue_id = logical_id_of(synth, "AWS::SQS::Queue", "/Feedback/Queue/")
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/Feedback/DeadLetterQueue/")
    config_set_id = logical_id_of(synth, "AWS::SES::ConfigurationSet", "/Email/")

    assert "EventBusName" not in rule or rule["EventBusName"] == "default"
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.ses"]
    assert pattern["detail-type"] == list(SES_DETAIL_TYPES)
    assert pattern["detail"]["mail"]["tags"]["ses:configuration-set"] == [{"Ref": config_set_id}]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}


def test_the_feedback_function_reads_its_queue_and_failed_records_end_in_the_dlq(synth):
    # An async Lambda target would drop an event after two retries; the queue keeps it.
    function_id, _ = function(synth, FEEDBACK_HANDLER)
    queue_id = logical_id_of(synth, "AWS::SQS::Queue", "/Feedback/Queue/")
    dlq_id = logical_id_of(synth, "AWS::SQS::Queue", "/Feedback/DeadLetterQueue/")

    (mapping,) = [
        r["Properties"]
        for r in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = synth.template["Resources"][queue_id]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["VisibilityTimeout"] >= 6 * 10
    assert not [
        p
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
        and p["Properties"]["Principal"] == "events.amazonaws.com"
    ]


def test_feedback_may_put_only_message_events_with_its_own_source_on_the_engage_bus(synth):
    _, props = function(synth, FEEDBACK_HANDLER)
    bus_id = logical_id_of(synth, "AWS::Events::EventBus", "/Bus/")

    (statement,) = statements_with(role_statements(synth, props), "events:PutEvents")
    assert statement["Resource"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert statement["Condition"]["StringEquals"] == {"events:source": FEEDBACK_SOURCE}
    detail_types = statement["Condition"]["ForAllValues:StringEquals"]["events:detail-type"]
    assert detail_types
    assert all(d.startswith("engage.message.") for d in detail_types)


def test_unsubscribe_may_read_its_key_and_put_only_consent_changes(synth):
    _, props = function(synth, UNSUBSCRIBE_HANDLER)
    secret_id = logical_id_of(synth, "AWS::SecretsManager::Secret", "/Unsubscribe/")
    statements = role_statements(synth, props)

    (put,) = statements_with(statements, "events:PutEvents")
    assert put["Condition"]["StringEquals"] == {
        "events:source": UNSUBSCRIBE_SOURCE,
        "events:detail-type": "player.consent_changed",
    }
    (read,) = statements_with(statements, "secretsmanager:GetSecretValue")
    assert read["Resource"] == {"Ref": secret_id}


def test_the_signing_key_is_generated_at_deploy_not_written_in_the_template(synth):
    secret = only(synth, "AWS::SecretsManager::Secret", "/Unsubscribe/")["Properties"]

    assert "SecretString" not in secret
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32


def test_dispatch_signs_links_with_the_same_key_and_the_unsubscribe_api_url(synth):
    _, props = function(synth, DISPATCH_HANDLER)
    secret_id = logical_id_of(synth, "AWS::SecretsManager::Secret", "/Unsubscribe/")
    api_id = logical_id_of(synth, "AWS::ApiGatewayV2::Api", "/Unsubscribe/")
    variables = props["Environment"]["Variables"]

    assert variables[ENV["unsubscribe_secret_arn"]] == {"Ref": secret_id}
    url = json.dumps(variables[ENV["unsubscribe_base_url"]])
    assert api_id in url
    assert url.startswith('{"Fn::Join": ["", ["https://"')
    assert url.endswith('"/unsubscribe"]]}')
    (read,) = statements_with(role_statements(synth, props), "secretsmanager:GetSecretValue")
    assert read["Resource"] == {"Ref": secret_id}


def test_the_unsubscribe_api_has_only_its_two_routes_throttled_and_logged(synth):
    api_id = logical_id_of(synth, "AWS::ApiGatewayV2::Api", "/Unsubscribe/")
    routes = {
        r["Properties"]["RouteKey"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == {"Ref": api_id}
    }
    stage = only(synth, "AWS::ApiGatewayV2::Stage", "/Unsubscribe/")["Properties"]

    assert routes == {"GET /unsubscribe", "POST /unsubscribe"}
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert "DestinationArn" in stage["AccessLogSettings"]
