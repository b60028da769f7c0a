"""The Powertools adapter writes CloudWatch EMF blobs the dashboard and alarms can read."""

import json

from aws_lambda_powertools import Metrics

from shared.adapters.cloudwatch_metrics import PowertoolsMetrics
from shared.metric_names import (
    CHANNEL,
    DECISION_LATENCY,
    DISPATCH_SERVICE,
    EVENTS_APPLIED,
    MESSAGES_SENT,
    NAMESPACE,
)


def blobs(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def definition(blob):
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    return directive


def test_plain_counts_and_latencies_flush_once_per_invocation_under_the_service_dimension(
    capsys,
):
    metrics = Metrics(namespace=NAMESPACE, service="engage-engine")
    port = PowertoolsMetrics(metrics, "engage-engine")

    @metrics.log_metrics
    def handler(event, context):
        port.count(EVENTS_APPLIED, 3)
        port.milliseconds(DECISION_LATENCY, 12.5)

    handler({}, None)
    (blob,) = blobs(capsys.readouterr().out)
    directive = definition(blob)
    assert directive["Namespace"] == "Engage"
    assert directive["Dimensions"] == [["service"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "EventsApplied": "Count",
        "DecisionLatency": "Milliseconds",
    }
    assert blob["service"] == "engage-engine"
    assert blob["EventsApplied"] == [3.0]
    assert blob["DecisionLatency"] == [12.5]


def test_a_count_with_a_channel_is_its_own_blob_with_service_and_channel_dimensions(capsys):
    metrics = Metrics(namespace=NAMESPACE, service=DISPATCH_SERVICE)
    port = PowertoolsMetrics(metrics, DISPATCH_SERVICE)
    port.count(MESSAGES_SENT, dimension=(CHANNEL, "email"))
    (blob,) = blobs(capsys.readouterr().out)
    directive = definition(blob)
    assert directive["Namespace"] == "Engage"
    assert sorted(directive["Dimensions"][0]) == ["Channel", "service"]
    assert directive["Metrics"] == [{"Name": "MessagesSent", "Unit": "Count"}]
    assert (blob["service"], blob["Channel"], blob["MessagesSent"]) == (
        "engage-dispatch",
        "email",
        [1.0],
    )
    # Nothing was left in the invocation's shared metric set to carry `Channel` along.
    assert metrics.provider.metric_set == {}
