"""SMS and push in the stack: off by default, least privilege for dispatch when configured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.app import STACK_ID
from infra.config import ContextError, StackConfig
from shared.settings import ENV

from .conftest import Synth, synth_app, validation_findings
from .test_stack import DISPATCH_HANDLER, ENGINE_HANDLER, function, role_statements

pytestmark = pytest.mark.infra

SMS_ARN = "arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-0123456789abcdef"
PUSH_APP = "0123456789abcdef0123456789abcdef"
MOBILE_VARS = {ENV["sms_provider"], ENV["sms_origination_identity"], ENV["push_application_id"]}
MOBILE_ACTIONS = {"sms-voice:SendTextMessage", "mobiletargeting:SendMessages"}


def _synth(tmp_path_factory: pytest.TempPathFactory, name: str, **context: Any) -> Synth:
    app, assembly = synth_app(tmp_path_factory.mktemp(name), **context)
    template = assembly.get_stack_by_name(STACK_ID).template
    return Synth(app=app, assembly_dir=Path(assembly.directory), template=template)


@pytest.fixture(scope="module")
def eum_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(
        tmp_path_factory,
        "cdk.out.eum",
        sms_provider="eum",
        sms_origination_identity=SMS_ARN,
        push_application_id=PUSH_APP,
    )


@pytest.fixture(scope="module")
def sns_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "cdk.out.sns", sms_provider="sns")


def statements_with(synth: Synth, action: str) -> list[dict[str, Any]]:
    _, props = function(synth, DISPATCH_HANDLER)
    return [
        s
        for s in role_statements(synth, props)
        if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]


def env_of(synth: Synth, handler: str) -> dict[str, Any]:
    _, props = function(synth, handler)
    variables: dict[str, Any] = props["Environment"]["Variables"]
    return variables


def test_given_cdk_json_defaults_when_synthesized_then_no_sms_or_push_env_or_permission(synth):
    for handler in (ENGINE_HANDLER, DISPATCH_HANDLER):
        assert not MOBILE_VARS & set(env_of(synth, handler))
        _, props = function(synth, handler)
        actions = {
            a
            for s in role_statements(synth, props)
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }
        assert not actions & MOBILE_ACTIONS
    publish = statements_with(synth, "sns:Publish")
    assert publish  # the compliance topic, and only it
    assert all(s["Resource"] != "*" for s in publish)


def test_given_eum_and_push_when_synthesized_then_dispatch_may_send_only_from_that_identity_and_app(
    eum_synth,
):
    (sms,) = statements_with(eum_synth, "sms-voice:SendTextMessage")
    (push,) = statements_with(eum_synth, "mobiletargeting:SendMessages")

    assert sms["Resource"] == SMS_ARN
    rendered = json.dumps(push["Resource"])
    assert f":apps/{PUSH_APP}/messages" in rendered
    assert "*" not in rendered
    assert all(s["Resource"] != "*" for s in statements_with(eum_synth, "sns:Publish"))


def test_given_eum_and_push_when_synthesized_then_dispatch_env_loads_both_channels(eum_synth):
    env = {k: v for k, v in env_of(eum_synth, DISPATCH_HANDLER).items() if isinstance(v, str)}
    assert env[ENV["sms_provider"]] == "eum"
    assert env[ENV["sms_origination_identity"]] == SMS_ARN
    assert env[ENV["push_application_id"]] == PUSH_APP
    assert not MOBILE_VARS & set(env_of(eum_synth, ENGINE_HANDLER))


def test_given_sns_sms_when_synthesized_then_publish_on_star_is_acknowledged_with_its_reason(
    sns_synth,
):
    assert [s["Resource"] for s in statements_with(sns_synth, "sns:Publish")].count("*") == 1
    assert env_of(sns_synth, DISPATCH_HANDLER)[ENV["sms_provider"]] == "sns"
    assert validation_findings(sns_synth.assembly_dir, "AwsSolutions") == []


def test_given_eum_and_push_when_synthesized_then_cdk_nag_reports_nothing(eum_synth):
    assert validation_findings(eum_synth.assembly_dir, "AwsSolutions") == []


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({"sms_provider": "twilio"}, "sms_provider"),
        ({"sms_provider": "eum"}, "sms_origination_identity"),
        (
            {"sms_provider": "eum", "sms_origination_identity": "+447700900123"},
            "sms_origination_identity",
        ),
        ({"push_application_id": "apps/abc"}, "push_application_id"),
    ],
)
def test_given_a_bad_mobile_context_when_read_then_it_is_refused_with_its_key(context, key):
    with pytest.raises(ContextError, match=f"'{key}'"):
        StackConfig(**context)


def test_given_empty_strings_from_cdk_json_when_read_then_sms_and_push_stay_off():
    from aws_cdk import App

    config = StackConfig.from_node(
        App(context={"sms_provider": "", "push_application_id": ""}).node
    )
    assert config.sms_provider is None
    assert config.push_application_id is None
