"""SES v2 sending: a configuration set, and optionally the domain identity."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct


class Email(Construct):
    """Configuration set (reputation metrics) + IAM scoping of ses:SendEmail to the sender.

    The sending identity is created only when `identity_domain` is given: verifying a
    domain needs DNS records the operator controls, and it may already be verified.
    Either way SendEmail is allowed only from `email_from` (address or its domain identity)
    through this configuration set.
    """

    def __init__(
        self, scope: Construct, id: str, *, email_from: str, identity_domain: str | None
    ) -> None:
        super().__init__(scope, id)
        self.email_from = email_from
        self.configuration_set = ses.ConfigurationSet(
            self, "ConfigurationSet", reputation_metrics=True, sending_enabled=True
        )
        self.identity: ses.EmailIdentity | None = None
        if identity_domain is not None:
            self.identity = ses.EmailIdentity(
                self,
                "DomainIdentity",
                identity=ses.Identity.domain(identity_domain),
                configuration_set=self.configuration_set,
            )
            for i, record in enumerate(self.identity.dkim_records):
                CfnOutput(
                    self,
                    f"DkimRecord{i + 1}",
                    description="Create this CNAME in your DNS to verify the sending domain",
                    value=f"{record.name} CNAME {record.value}",
                )
        # SES authorizes SendEmail against the identity that matches the From address: the
        # address itself if it is verified on its own, otherwise its domain.
        domain = identity_domain or email_from.rsplit("@", 1)[1]
        self.identity_names = (email_from, domain)

    @property
    def configuration_set_name(self) -> str:
        """Physical name of the configuration set (derived by CloudFormation)."""
        return self.configuration_set.configuration_set_name

    def _arn(self, resource: str, name: str) -> str:
        return Stack.of(self).format_arn(
            service="ses",
            resource=resource,
            resource_name=name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """ses:SendEmail from the sending identities through this configuration set only."""
        resources = [self._arn("identity", name) for name in self.identity_names]
        resources.append(self._arn("configuration-set", self.configuration_set_name))
        statement = iam.PolicyStatement(
            actions=["ses:SendEmail"],
            resources=resources,
            # With a domain identity the role could otherwise send as anyone@domain.
            conditions={"StringEquals": {"ses:FromAddress": self.email_from}},
        )
        grantee.grant_principal.add_to_principal_policy(statement)
