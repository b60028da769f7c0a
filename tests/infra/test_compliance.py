"""The compliance alerts topic: encrypted, TLS-only, published to by engine and dispatch only."""

import json

import pytest

from shared.settings import ENV

pytestmark = pytest.mark.infra


def _topic_id(synth):
    (logical_id,) = [
        logical_id
        for logical_id, topic in synth.resources("AWS::SNS::Topic").items()
        if "/Compliance/" in topic["Metadata"]["aws:cdk:path"]
    ]
    return logical_id


def test_the_compliance_topic_is_encrypted_at_rest(synth):
    topic = synth.resources("AWS::SNS::Topic")[_topic_id(synth)]
    assert "alias/aws/sns" in json.dumps(topic["Properties"]["KmsMasterKeyId"])


def test_the_compliance_topic_refuses_plain_http(synth):
    (policy,) = [
        p
        for p in synth.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": _topic_id(synth)}]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    )


def test_engine_and_dispatch_get_the_topic_arn_and_may_publish_to_it_only(synth):
    topic_ref = {"Ref": _topic_id(synth)}
    functions = synth.resources("AWS::Lambda::Function")
    with_topic = [
        f
        for f in functions.values()
        if f["Properties"]
        .get("Environment", {})
        .get("Variables", {})
        .get(ENV["compliance_topic_arn"])
        == topic_ref
    ]
    assert len(with_topic) == 2
    publishers = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if "sns:Publish" in actions:
                assert statement["Resource"] == topic_ref
                publishers.append(policy["Properties"]["PolicyName"])
    assert len(publishers) == 2
