"""SES delivery feedback: configuration set -> default bus -> feedback function -> engage bus.

SES publishes sending events to the account's *default* EventBridge bus only (an event
destination cannot name a custom bus). A rule there forwards the events of our
configuration set to a small function that translates them into `engage.message.*` and puts
them on the engage bus, where the engine folds them (opens, bounces, complaints).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from events.models import DETAIL_MODELS, FEEDBACK_SOURCE, INTERNAL_DETAIL_SOURCES
from infra.config import StackConfig
from infra.constructs.bus import EngageBus
from infra.constructs.email import Email
from infra.constructs.functions import (
    app_function,
)
from infra.constructs.queues import dead_letter_queue
from infra.nag import acknowledge
from shared.domain.feedback import SES_DETAIL_TYPES, SES_SOURCE
from shared.settings import ENV

FEEDBACK_TIMEOUT = Duration.seconds(10)
FEEDBACK_EVENTS = (
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.OPEN,
    ses.EmailSendingEvent.CLICK,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
)
MESSAGE_DETAIL_TYPES = sorted(
    name for name in DETAIL_MODELS if INTERNAL_DETAIL_SOURCES.get(name) == FEEDBACK_SOURCE
)


class EmailFeedback(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StackConfig, bus: EngageBus, email: Email
    ) -> None:
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")

        self.destination = email.configuration_set.add_event_destination(
            "ToEventBridge",
            destination=ses.EventDestination.event_bus(default_bus),
            events=list(FEEDBACK_EVENTS),
        )

        self.function = app_function(
            self,
            config=config,
            handler="functions.feedback.handler.handler",
            service="engage-feedback",
            description="translates SES delivery feedback into engage.message events",
            timeout=FEEDBACK_TIMEOUT,
            removal=removal,
            environment={
                ENV["bus_arn"]: bus.bus.event_bus_arn,
            },
        )
        # Only message events, only with the feedback source: it cannot fake player events.
        self.function.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.bus.event_bus_arn],
                conditions={
                    "StringEquals": {"events:source": FEEDBACK_SOURCE},
                    "ForAllValues:StringEquals": {"events:detail-type": MESSAGE_DETAIL_TYPES},
                },
            )
        )

        # Feedback EventBridge could not deliver to the function after its retries.
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the default-bus feedback rule target's "
            "DLQ for SES events the feedback function could not take.",
        )
        self.rule = events.Rule(
            self,
            "SesToFeedback",
            event_bus=default_bus,
            description="engage: SES feedback of the engage configuration set -> feedback",
            event_pattern=events.EventPattern(
                source=[SES_SOURCE],
                detail_type=list(SES_DETAIL_TYPES),
                # Only our configuration set: other mail sent from this account stays out.
                detail={
                    "mail": {"tags": {"ses:configuration-set": [email.configuration_set_name]}}
                },
            ),
            targets=[
                targets.LambdaFunction(
                    self.function.function,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=185,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
