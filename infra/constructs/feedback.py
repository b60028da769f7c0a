"""SES delivery feedback: configuration set -> default bus -> queue -> function -> engage bus.

SES publishes sending events to the account's *default* EventBridge bus only (an event
destination cannot name a custom bus). A rule there puts the events of our configuration
set into the feedback queue; a small function reads it in batches, translates the events
into `engage.message.*` and puts them on the engage bus, where the engine folds them (opens,
bounces, complaints).

Why a queue and not the function as the rule's target: EventBridge invokes a Lambda target
asynchronously, and an error thrown there is retried twice by Lambda and then dropped (the
rule's DLQ only covers EventBridge failing to *invoke*). A lost bounce is a lost consent
change. Through SQS a failing record is redelivered and, after five receives, parked in the
dead-letter queue, where an alarm sees it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from events.models import FEEDBACK_SOURCE
from infra.config import StackConfig
from infra.constructs.bus import EngageBus
from infra.constructs.email import Email
from infra.constructs.functions import (
    app_function,
)
from infra.constructs.queues import DEAD_LETTER_RETENTION, dead_letter_queue, encrypted_queue
from infra.nag import acknowledge
from shared.domain.players.feedback import SES_DETAIL_TYPES, SES_SOURCE
from shared.settings import ENV

FEEDBACK_TIMEOUT = Duration.seconds(10)
FEEDBACK_BATCH_SIZE = 10
# After this many failed receives a feedback record moves to the dead-letter queue.
FEEDBACK_MAX_RECEIVE_COUNT = 5
FEEDBACK_EVENTS = (
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.OPEN,
    ses.EmailSendingEvent.CLICK,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
)


class EmailFeedback(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StackConfig, bus: EngageBus, email: Email
    ) -> None:
        super().__init__(scope, id)
        removal = config.removal_policy
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
        bus.grant_put_internal_events(self.function.role, FEEDBACK_SOURCE)

        # One dead-letter queue for both ways a feedback event can fail: EventBridge could not
        # put it into the queue (the rule target's DLQ), or the function failed it five times
        # (the queue's redrive). Either way it waits here 14 days, with an alarm on it.
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: of the feedback queue (records the "
            "feedback function failed five times) and of the default-bus rule's target.",
        )
        self.queue = encrypted_queue(
            self,
            "Queue",
            # AWS: visibility >= 6 x the function timeout, so a retried batch is not received
            # twice at once.
            visibility_timeout=Duration.seconds(6 * FEEDBACK_TIMEOUT.to_seconds()),
            retention_period=DEAD_LETTER_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=FEEDBACK_MAX_RECEIVE_COUNT
            ),
        )
        self.rule = events.Rule(
            self,
            "SesToFeedback",
            event_bus=default_bus,
            description="engage: SES feedback of the engage configuration set -> feedback queue",
            event_pattern=events.EventPattern(
                source=[SES_SOURCE],
                detail_type=list(SES_DETAIL_TYPES),
                # Only our configuration set: other mail sent from this account stays out.
                detail={
                    "mail": {"tags": {"ses:configuration-set": [email.configuration_set_name]}}
                },
            ),
            targets=[
                targets.SqsQueue(
                    self.queue,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=185,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
        self.function.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=FEEDBACK_BATCH_SIZE,
                # A record whose publish failed is retried alone; the rest are deleted.
                report_batch_item_failures=True,
            )
        )
