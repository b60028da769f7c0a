"""Alarms on one encrypted topic, and the dashboard: the stack does not fail silently."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import metric_names

from .conftest import Synth
from .test_stack import logical_id_of

pytestmark = pytest.mark.infra


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        resource["Metadata"]["aws:cdk:path"]: resource["Properties"]
        for resource in synth.resources("AWS::CloudWatch::Alarm").values()
    }


def alarm_topic_id(synth: Synth) -> str:
    return logical_id_of(synth, "AWS::SNS::Topic", "/Observability/AlarmTopic/")


def test_every_dead_letter_queue_has_an_alarm_on_its_first_message(synth):
    dlqs = [
        logical_id
        for logical_id, queue in synth.resources("AWS::SQS::Queue").items()
        if "DeadLetterQueue" in queue["Metadata"]["aws:cdk:path"]
    ]
    watched = {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in alarms(synth).values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        for dimension in alarm["Dimensions"]
    }

    assert len(dlqs) == 7
    assert set(dlqs) == watched
    for alarm in alarms(synth).values():
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            assert alarm["Threshold"] == 0
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_dispatch_dlq_alarm_says_its_records_live_in_a_24_hour_stream(synth):
    (alarm,) = [a for path, a in alarms(synth).items() if "DispatchDeadLetterQueueNotEmpty" in path]

    assert "24 h" in alarm["AlarmDescription"]


def test_every_function_has_error_and_throttle_alarms(synth):
    functions = set(synth.resources("AWS::Lambda::Function"))
    by_metric: dict[str, set[str]] = {"Errors": set(), "Throttles": set()}
    for alarm in alarms(synth).values():
        if alarm.get("Namespace") == "AWS/Lambda" and alarm["MetricName"] in by_metric:
            (dimension,) = alarm["Dimensions"]
            by_metric[alarm["MetricName"]].add(dimension["Value"]["Ref"])

    assert by_metric["Errors"] == functions
    assert by_metric["Throttles"] == functions


@pytest.mark.parametrize(
    ("namespace", "metric"),
    [
        ("AWS/Lambda", "IteratorAge"),
        ("AWS/Events", "FailedInvocations"),
        ("AWS/SES", "Reputation.BounceRate"),
        ("AWS/SES", "Reputation.ComplaintRate"),
        ("AWS/ApiGateway", "5xx"),
        (metric_names.NAMESPACE, metric_names.MESSAGES_FAILED),
    ],
)
def test_the_operational_signals_are_alarmed(synth, namespace, metric):
    found = [
        a
        for a in alarms(synth).values()
        if a.get("Namespace") == namespace and a.get("MetricName") == metric
    ]

    assert found, f"no alarm on {namespace} {metric}"


def test_dynamodb_throttles_of_both_tables_are_alarmed(synth):
    throttle_alarms = [
        a for p, a in alarms(synth).items() if p.endswith("Throttles/Resource") and "Metrics" in a
    ]

    assert len(throttle_alarms) == 2
    for alarm in throttle_alarms:
        names = {
            m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m
        }
        assert names == {"ReadThrottleEvents", "WriteThrottleEvents"}


def test_every_alarm_notifies_the_alarm_topic_on_alarm_and_on_recovery(synth):
    topic = {"Ref": alarm_topic_id(synth)}

    for path, alarm in alarms(synth).items():
        assert alarm["AlarmActions"] == [topic], path
        assert alarm["OKActions"] == [topic], path


def test_the_alarm_topic_uses_a_rotated_key_cloudwatch_may_use(synth):
    topic = synth.template["Resources"][alarm_topic_id(synth)]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synth.template["Resources"][key_id]["Properties"]

    assert key["EnableKeyRotation"] is True
    (grant,) = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_dashboard_charts_the_custom_metrics(synth):
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    for name in (
        metric_names.EVENTS_APPLIED,
        metric_names.EVENTS_REFUSED,
        metric_names.EVENTS_DUPLICATE,
        metric_names.DECISION_LATENCY,
        metric_names.MESSAGES_SENT,
        metric_names.MESSAGES_SUPPRESSED,
        metric_names.TIMERS_ARMED,
        metric_names.TIMERS_FIRED,
    ):
        assert name in body, name


def test_the_archive_outlives_a_prod_stack(synth):
    (archive,) = synth.resources("AWS::Events::Archive").values()

    assert archive["Properties"]["RetentionDays"] >= 1
    assert archive["DeletionPolicy"] == "Retain"
