"""EventBridge Scheduler: the group player timers live in and the role schedules run as."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from events.models import INTERNAL_SOURCE, TimerFired
from infra.constructs.queues import dead_letter_queue
from infra.nag import acknowledge

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"

# What dispatch does with one-time schedules (create or move a timer, cancel it, look it up).
SCHEDULE_ACTIONS = (
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
    "scheduler:GetSchedule",
)


class Scheduling(Construct):
    """Schedule group + execution role; the schedules are created at run time by dispatch."""

    def __init__(self, scope: Construct, id: str, *, bus: events.IEventBus) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)

        # No name: CloudFormation derives one; dispatch gets it through its environment.
        self.group = scheduler.CfnScheduleGroup(self, "Group")
        self.group_name: str = self.group.ref

        # Every schedule in the group runs as this role. The trust policy lets only
        # Scheduler in this account, for this group, assume it (confused deputy guard).
        self.role = iam.Role(
            self,
            "ExecutionRole",
            description="engage: EventBridge Scheduler puts engage.timer.fired on the bus",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL,
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": stack.account,
                        "aws:SourceArn": self.group.attr_arn,
                    }
                },
            ),
        )
        # PutEvents on the engage bus only, and only as the timer event the engine expects,
        # so a schedule cannot impersonate an operator's player events.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.event_bus_arn],
                conditions={
                    "StringEquals": {
                        "events:source": INTERNAL_SOURCE,
                        "events:detail-type": TimerFired.detail_type,
                    }
                },
            )
        )

        # A timer Scheduler could not put on the bus (after 24 h of retries) lands here with
        # the error, instead of vanishing: a lost `engage.timer.fired` is a nudge never sent.
        self.dead_letter_queue = dead_letter_queue(self, "TimerDeadLetterQueue")
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the DeadLetterConfig of every "
            "schedule (player timers and the leaderboard sweep).",
        )
        self.grant_dead_letter(self.role)

    def grant_dead_letter(self, role: iam.IRole) -> None:
        """Scheduler sends dead letters as the schedule's execution role."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn]
            )
        )

    @property
    def schedules_arn(self) -> str:
        """ARN pattern of every schedule in the group (IAM has no finer resource)."""
        return Stack.of(self).format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    @property
    def schedules_finding_id(self) -> str:
        """The cdk-nag IAM5 finding the schedules_arn wildcard raises on a grantee's policy."""
        logical_id = Stack.of(self).resolve(self.group.logical_id)
        return (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
            f"<AWS::AccountId>:schedule/<{logical_id}>/*]"
        )

    def grant_manage_schedules(self, grantee: iam.IGrantable) -> None:
        """Create, move, cancel and read schedules in the group, and pass the role to them."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(SCHEDULE_ACTIONS), resource_arns=[self.schedules_arn]
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )
