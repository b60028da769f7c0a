"""Leaderboards: the index function on the player table's stream, and the settle function.

The engine keeps scores in each player's state and names the entries a commit changed on
the state item (`lb`); the index function, on the player table's stream, writes those
entries (the table's `gsi1` index ranks them). The settle function runs every minute from
an EventBridge Scheduler schedule, publishes the prize events of periods that closed, and
marks them settled (docs/leaderboards.md).
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
from infra.constructs.player_stream import consume_player_stream, stream_dead_letter_queue
from infra.constructs.scheduling import SCHEDULER_PRINCIPAL, Scheduling
from infra.constructs.tables import Tables
from shared.adapters.board_items import (
    BOARD_STREAM_FILTER,
    INDEX_PK,
    INDEX_SK,
    VERSION_ATTRIBUTE,
)
from shared.settings import ENV

SETTLE_TIMEOUT = Duration.minutes(2)
# A score is ranked within about a second of its commit (the settle waits INDEX_LAG).
INDEX_BATCH_WINDOW = Duration.seconds(1)
INDEX_BATCH_SIZE = 100
# What an entry item holds (board_items.board_item): the index function may put no other
# attribute, so it can never write a state, ledger or outbox item's contents.
ENTRY_ATTRIBUTES = ("pk", "sk", INDEX_PK, INDEX_SK, "expires_at", VERSION_ATTRIBUTE)
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
        self._index(config, tables)

    def _index(self, config: StackConfig, tables: Tables) -> None:
        """The index function: state records naming changed entries -> entry puts."""
        self.index_dead_letter_queue = stream_dead_letter_queue(
            self, "IndexDeadLetterQueue", "leaderboard index"
        )
        self.index = app_function(
            Construct(self, "Index"),
            config=config,
            handler="functions.leaderboard_index.handler.handler",
            service="engage-leaderboard-index",
            description="player table stream -> leaderboard entries (the ranking index)",
            timeout=Duration.minutes(1),
            removal=config.removal_policy,
            environment={ENV["player_table"]: tables.player_table.table_name},
        )
        # PutItem of entry items only: no attribute but an entry's may be written.
        self.index.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem"],
                resources=[tables.player_table.table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(ENTRY_ATTRIBUTES)}
                },
            )
        )
        consume_player_stream(
            self.index.function,
            tables,
            self.index_dead_letter_queue,
            [BOARD_STREAM_FILTER],
            batch_size=INDEX_BATCH_SIZE,
            retry_attempts=10,
            max_batching_window=INDEX_BATCH_WINDOW,
            report_batch_item_failures=True,
        )
