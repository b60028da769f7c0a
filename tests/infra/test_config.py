"""Context values: defaults, `-c key=value` strings, and refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from infra.app import STACK_ID
from infra.config import ContextError, StackConfig

from .conftest import Synth, cdk_json_context, synth_app, validation_findings

pytestmark = pytest.mark.infra


def config_from(**context: object) -> StackConfig:
    return StackConfig.from_node(App(context=dict(context)).node)


def test_cdk_json_context_matches_the_stack_defaults():
    context = cdk_json_context()
    defaults = StackConfig()

    for name in StackConfig.__dataclass_fields__:
        if name in context:
            # An empty string in cdk.json means "not set" (e.g. no SMS provider).
            assert (None if context[name] == "" else context[name]) == getattr(defaults, name), name


def test_command_line_strings_are_coerced_to_the_field_types():
    config = config_from(engine_batch_size="25", retain_data="false", archive_retention_days="7")

    assert config.engine_batch_size == 25
    assert config.retain_data is False
    assert config.archive_retention_days == 7


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({"archive_retention_days": 500}, "archive_retention_days"),
        ({"archive_retention_days": 0}, "archive_retention_days"),
        ({"email_from": "Engage <noreply@example.com>"}, "email_from"),
        ({"email_from": ""}, "email_from"),
        ({"email_identity_domain": "other.example"}, "email_identity_domain"),
        ({"engine_batch_size": 50, "engine_batching_window_seconds": 0}, "engine_batch_size"),
        ({"log_retention_days": 31}, "log_retention_days"),
        ({"log_level": "verbose"}, "log_level"),
        ({"retain_data": "maybe"}, "retain_data"),
        ({"powertools_layer_version": "latest"}, "powertools_layer_version"),
    ],
)
def test_a_bad_context_value_is_refused_with_its_key(context, key):
    with pytest.raises(ContextError, match=f"'{key}'"):
        config_from(**context)


@pytest.fixture(scope="module")
def identity_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    app, assembly = synth_app(
        tmp_path_factory.mktemp("cdk.out.identity"),
        email_from="hello@mail.example.org",
        email_identity_domain="mail.example.org",
    )
    template = assembly.get_stack_by_name(STACK_ID).template
    return Synth(app=app, assembly_dir=Path(assembly.directory), template=template)


def test_identity_domain_creates_a_dkim_identity_and_scopes_sending_to_it(identity_synth):
    (identity,) = identity_synth.resources("AWS::SES::EmailIdentity").values()
    policies = " ".join(
        str(p["Properties"]["PolicyDocument"])
        for p in identity_synth.resources("AWS::IAM::Policy").values()
    )

    assert identity["Properties"]["EmailIdentity"] == "mail.example.org"
    assert ":identity/mail.example.org" in policies
    assert ":identity/hello@mail.example.org" in policies
    assert [k for k in identity_synth.template["Outputs"] if "DkimRecord" in k]
    assert validation_findings(identity_synth.assembly_dir, "AwsSolutions") == []
