"""Compliance alerts: the SNS topic responsible-gaming alerts go to (subscribe your team)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct


class Compliance(Construct):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # The AWS-managed SNS key: encryption at rest with no key policy to maintain, and
        # publishers in the account need no extra KMS grant.
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            display_name="engage responsible-gaming alerts",
            master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
            enforce_ssl=True,
        )

    def grant_publish(self, role: iam.IRole) -> None:
        """sns:Publish on this topic only."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn])
        )
