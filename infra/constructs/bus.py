"""The engage bus, its archive, and the buffered path from the bus to the engine."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from events.models import INTERNAL_DETAIL_SOURCES
from events.routing import BUS_RULE_PATTERN
from infra.constructs.queues import MAX_RETENTION, dead_letter_queue, encrypted_queue
from infra.nag import acknowledge

# After this many failed receives a message moves to the dead-letter queue.
MAX_RECEIVE_COUNT = 5


def event_pattern(pattern: dict[str, Any]) -> events.EventPattern:
    """Turn a raw EventBridge pattern (`detail-type`, `source`, ...) into the CDK type."""
    return events.EventPattern(**{key.replace("-", "_"): value for key, value in pattern.items()})


class EngageBus(Construct):
    """Custom bus `engage` (archived for replay) -> rule -> engine queue (+ DLQs)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        archive_retention: Duration,
        engine_timeout: Duration,
        engine_batching_window: Duration,
        removal: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)

        self.bus = events.EventBus(
            self, "Bus", description="engage: operator player events and internal timers"
        )
        # The archive keeps exactly what the engine consumes, so a replay re-drives the
        # engine and nothing else (derived events published by dispatch are not replayed
        # to their subscribers twice).
        self.archive = events.CfnArchive(
            self,
            "Archive",
            source_arn=self.bus.event_bus_arn,
            event_pattern=BUS_RULE_PATTERN,
            retention_days=int(archive_retention.to_days()),
            description="engage: player events, for replay into the engine",
        )
        # The archive is the recovery path after a lost table: it outlives the stack like
        # the tables do (prod), and goes with a throw-away dev stack.
        self.archive.apply_removal_policy(removal)

        # Poison messages end here after MAX_RECEIVE_COUNT tries; the engine also sends
        # events that break the contract here itself, with the reason (invariant 2).
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        # AWS: visibility >= 6 x function timeout (+ batching window) so a message is not
        # received again while a retried invocation still holds it.
        self.engine_queue = encrypted_queue(
            self,
            "EngineQueue",
            visibility_timeout=Duration.seconds(
                6 * engine_timeout.to_seconds() + engine_batching_window.to_seconds()
            ),
            # As long as SQS allows, like its DLQs: an engine outage (a bad deploy, a
            # throttled table) over a long weekend must not expire player events (default 4 d).
            retention_period=MAX_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )
        # EventBridge could not put an event into the engine queue (after its own retries).
        self.delivery_dead_letter_queue = dead_letter_queue(self, "DeliveryDeadLetterQueue")
        acknowledge(
            self.delivery_dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the EventBridge rule target's DLQ for "
            "events that could not be delivered to the engine queue.",
        )

        self.rule = events.Rule(
            self,
            "ToEngine",
            event_bus=self.bus,
            description="engage: contract detail-types -> engine queue",
            event_pattern=event_pattern(BUS_RULE_PATTERN),
            targets=[
                targets.SqsQueue(
                    self.engine_queue,
                    dead_letter_queue=self.delivery_dead_letter_queue,
                    retry_attempts=185,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    def grant_put_internal_events(self, role: iam.IRole, source: str) -> None:
        """PutEvents on this bus, only as `source` and only the platform detail-types that
        belong to it (events.models.INTERNAL_DETAIL_SOURCES): a platform function cannot
        put an operator's player event (a deposit) with its own credentials."""
        detail_types = sorted(t for t, owner in INTERNAL_DETAIL_SOURCES.items() if owner == source)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={
                    "StringEquals": {"events:source": source},
                    "ForAllValues:StringEquals": {"events:detail-type": detail_types},
                },
            )
        )
