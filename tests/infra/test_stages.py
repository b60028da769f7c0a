"""Stages: dev and prod side by side in one account, prod refusing what cannot work."""

from __future__ import annotations

import pytest
from aws_cdk import App

from infra.app import build_app, stack_id
from infra.config import STAGE_DEFAULTS, ContextError, StackConfig, is_placeholder_sender

from .conftest import PROD_CONTEXT, cdk_json_context

pytestmark = pytest.mark.infra


def config_from(**context: object) -> StackConfig:
    return StackConfig.from_node(App(context=dict(context)).node)


def test_given_no_stage_then_the_stack_is_a_throw_away_dev_stack():
    config = config_from(**cdk_json_context())

    assert config.stage == "dev"
    assert config.retain_data is False
    assert config.log_retention_days == STAGE_DEFAULTS["dev"]["log_retention_days"]


def test_given_prod_then_data_and_logs_are_kept():
    config = config_from(**PROD_CONTEXT)

    assert config.retain_data is True
    assert config.log_retention_days == 365


def test_given_an_explicit_value_then_it_wins_over_the_stage_default():
    config = config_from(stage="prod", email_from="a@mail.casino.io", log_retention_days="90")

    assert config.log_retention_days == 90


@pytest.mark.parametrize(
    "sender",
    ["noreply@example.com", "x@mail.example.org", "x@EXAMPLE.NET", "x@shop.test", "x@a.invalid"],
)
def test_given_prod_with_a_placeholder_sender_then_synth_is_refused_with_the_key(sender):
    with pytest.raises(ContextError, match=r"'email_from'.*placeholder"):
        config_from(stage="prod", email_from=sender)


def test_given_dev_with_the_example_sender_then_it_is_allowed_for_local_trials():
    assert config_from(stage="dev", email_from="noreply@example.com").email_from


@pytest.mark.parametrize(
    ("address", "placeholder"),
    [("a@example.com", True), ("a@examples.com", False), ("a@notexample.org", False)],
)
def test_only_reserved_domains_count_as_placeholders(address, placeholder):
    assert is_placeholder_sender(address) is placeholder


def test_an_unknown_stage_is_refused_with_its_key():
    with pytest.raises(ContextError, match="'stage'"):
        config_from(stage="staging")


def test_dev_and_prod_stacks_have_different_names():
    dev = build_app(cdk_json_context())
    prod = build_app({**cdk_json_context(), **PROD_CONTEXT})

    assert dev.node.find_child(stack_id("dev")).stack_name == "Engage-dev"
    assert prod.node.find_child(stack_id("prod")).stack_name == "Engage-prod"


@pytest.mark.parametrize(
    "type_", ["AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic"]
)
def test_resources_carry_the_project_and_stage_tags(synth, type_):
    for resource in synth.resources(type_).values():
        tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
        assert {"project": "engage", "stage": "prod"}.items() <= tags.items()
