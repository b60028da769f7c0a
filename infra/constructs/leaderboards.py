"""Leaderboards: the player table's ranking index, and the settle function on a schedule.

Scores are written by the engine into the player table (its `gsi1` index ranks them); the
settle function runs every minute from an EventBridge Scheduler schedule, publishes the
prize events of periods that closed, and marks them settled (docs/leaderboards.md).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from events.models import LEADERBOARD_SOURCE, LeaderboardPrize
from infra.config import StackConfig
from infra.constructs.bus import EngageBus
from infra.constructs.functions import app_function
from infra.constructs.scheduling import SCHEDULER_PRINCIPAL, Scheduling
from infra.constructs.tables import Tables
from shared.settings import ENV

SETTLE_TIMEOUT = Duration.minutes(2)
# How often closed periods are looked for: prizes arrive within this after end + grace.
SETTLE_RATE = "rate(1 minute)"


class Leaderboards(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StackConfig,
        bus: EngageBus,
        tables: Tables,
        scheduling: Scheduling,
    ) -> None:
        super().__init__(scope, id)
        removal = config.removal_policy
        self.settle = app_function(
            self,
            config=config,
            handler="functions.leaderboard_settle.handler.handler",
            service="engage-leaderboard-settle",
            description="settles closed leaderboard periods: prize events onto the bus",
            timeout=SETTLE_TIMEOUT,
            removal=removal,
            environment={
                ENV["player_table"]: tables.player_table.table_name,
                ENV["config_table"]: tables.config_table.table_name,
                ENV["bus_arn"]: bus.bus.event_bus_arn,
            },
        )
        role = self.settle.role
        tables.grant_config_read(role)
        # Reads the ranking index and the settled markers; writes only the markers.
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["dynamodb:GetItem", "dynamodb:PutItem"],
            resource_arns=[tables.player_table.table_arn],
        )
        tables.grant_board_index_read(role)
        # Only prize events, only as the leaderboard source the engine trusts for them.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.bus.event_bus_arn],
                conditions={
                    "StringEquals": {
                        "events:source": LEADERBOARD_SOURCE,
                        "events:detail-type": LeaderboardPrize.detail_type,
                    }
                },
            )
        )

        invoke_role = iam.Role(
            self,
            "ScheduleRole",
            description="engage: EventBridge Scheduler invokes the leaderboard settle function",
            # Confused-deputy guard: only Scheduler acting for this account may assume it (the
            # schedule's own ARN would make a cycle: the schedule names this role).
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL,
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
        )
        invoke_role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.settle.function.function_arn]
            )
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="engage: settle closed leaderboard periods",
            schedule_expression=SETTLE_RATE,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.settle.function.function_arn,
                role_arn=invoke_role.role_arn,
                # A missed minute is picked up by the next one: no long retry chain needed.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=300, maximum_retry_attempts=2
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=scheduling.dead_letter_queue.queue_arn
                ),
            ),
        )
        scheduling.grant_dead_letter(invoke_role)
