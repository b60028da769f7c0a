"""cdk-nag wiring: the AWS Solutions pack on the app, acknowledgments per resource."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable_nag(app: App) -> AwsSolutionsChecks:
    """Run the AWS Solutions checks on every synth; an unacknowledged finding fails it."""
    pack = AwsSolutionsChecks(app)
    Validations.of(app).add_plugins(pack)
    return pack


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one cdk-nag finding on `construct` (and its children) with a specific reason.

    cdk-nag 3 matches ids exactly, so a finding with a detail is acknowledged as
    `AwsSolutions-IAM5[Resource::...]`, one acknowledgment per finding.
    """
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
