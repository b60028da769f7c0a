"""cfn-lint on the synthesized template: nothing but the findings docs/deploy.md explains."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

from .conftest import Synth

pytestmark = pytest.mark.infra

# Each is a false positive, explained in docs/deploy.md ("Scanners"):
# W3005: CDK adds an explicit DependsOn on a function's role policy that a GetAtt already
# implies; harmless, and CloudFormation ignores the duplicate.
# W7001: the CDK Firehose module always adds a mapping of Firehose's CIDR blocks per region
# (for Redshift/Splunk destinations); ours write to S3, so it is unused.
ACCEPTED = {"W3005", "W7001"}


def test_cfn_lint_finds_nothing_beyond_the_documented_false_positives(synth: Synth):
    matches = lint(
        json.dumps(synth.template), config=ManualArgs(regions=["eu-west-1", "us-east-1"])
    )

    unexpected = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]
    unexpected = [line for line in unexpected if line.split()[0] not in ACCEPTED]
    assert unexpected == []
