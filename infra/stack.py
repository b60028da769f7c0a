"""EngageStack: the whole backend in one env-agnostic stack."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.backtest import Backtest
from infra.constructs.bus import EngageBus
from infra.constructs.compliance import Compliance
from infra.constructs.console import Console
from infra.constructs.email import Email
from infra.constructs.feedback import EmailFeedback
from infra.constructs.functions import ENGINE_TIMEOUT, EngageFunctions
from infra.constructs.lake import Lake
from infra.constructs.leaderboards import Leaderboards
from infra.constructs.observability import Observability, Watched
from infra.constructs.player_api import PlayerApi
from infra.constructs.scheduling import Scheduling
from infra.constructs.tables import Tables
from infra.constructs.unsubscribe import Unsubscribe


class EngageStack(Stack):
    """Bus + queues, tables, engine and dispatch, scheduler, SES; names derived by CDK."""

    def __init__(self, scope: Construct, id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.config = config

        self.bus = EngageBus(
            self,
            "Engage",
            archive_retention=Duration.days(config.archive_retention_days),
            engine_timeout=ENGINE_TIMEOUT,
            engine_batching_window=Duration.seconds(config.engine_batching_window_seconds),
            removal=config.removal_policy,
        )
        self.tables = Tables(self, "Tables", retain_data=config.retain_data)
        self.scheduling = Scheduling(self, "Scheduling", bus=self.bus.bus)
        self.email = Email(
            self,
            "Email",
            email_from=config.email_from,
            identity_domain=config.email_identity_domain,
        )
        self.compliance = Compliance(self, "Compliance")
        self.functions = EngageFunctions(
            self,
            "Functions",
            config=config,
            bus=self.bus,
            tables=self.tables,
            scheduling=self.scheduling,
            email=self.email,
            compliance=self.compliance,
        )
        self.console = Console(self, "Console", config=config, tables=self.tables)
        self.player_api = PlayerApi(self, "PlayerApi", config=config, tables=self.tables)
        # Every marketing email links to the unsubscribe route; SES feedback comes back.
        self.unsubscribe = Unsubscribe(self, "Unsubscribe", config=config, bus=self.bus)
        self.unsubscribe.wire_dispatch(self.functions.dispatch)
        self.feedback = EmailFeedback(
            self, "Feedback", config=config, bus=self.bus, email=self.email
        )
        self.leaderboards = Leaderboards(
            self,
            "Leaderboards",
            config=config,
            bus=self.bus,
            tables=self.tables,
            scheduling=self.scheduling,
        )
        # The event lake (issue 13): S3 + Glue + Athena, written by Firehose.
        self.lake = Lake(self, "Lake", config=config, bus=self.bus, tables=self.tables)
        # The console's Reports tab queries the lake through Athena.
        self.lake.grant_reports(self.console.function)
        # Backtests at scale (issue 14): Athena shards, a Distributed Map, a reduce.
        self.backtest = Backtest(
            self, "Backtest", config=config, lake=self.lake, tables=self.tables
        )
        self.observability = Observability(
            self,
            "Observability",
            watched=self._watched(),
            stage=config.stage,
            alarm_email=config.alarm_email,
        )
        self._outputs()

    def _watched(self) -> Watched:
        functions = self.functions
        return Watched(
            functions=[
                ("Engine", functions.engine.function),
                ("Dispatch", functions.dispatch.function),
                ("Feedback", self.feedback.function.function),
                ("Unsubscribe", self.unsubscribe.function.function),
                ("Console", self.console.function.function),
                ("PlayerApi", self.player_api.function.function),
                ("LeaderboardSettle", self.leaderboards.settle.function),
                ("LeaderboardIndex", self.leaderboards.index.function),
                ("LakeTransform", self.lake.transform.function),
                ("LakeWriter", self.lake.writer.function),
                ("Backtest", self.backtest.function.function),
            ],
            dead_letter_queues=[
                (
                    "EngineDeadLetterQueue",
                    self.bus.dead_letter_queue,
                    "player events the engine refused (each with its reason) or failed 5 times; "
                    "fix and redrive (docs/deploy.md)",
                ),
                (
                    "DeliveryDeadLetterQueue",
                    self.bus.delivery_dead_letter_queue,
                    "events EventBridge could not put into the engine queue for 24 h",
                ),
                (
                    "DispatchDeadLetterQueue",
                    functions.dispatch_dead_letter_queue,
                    "stream batches dispatch gave up on. These messages hold only shard and "
                    "sequence ranges: the records themselves stay in the player table's stream "
                    "for 24 h only, so read and replay them today",
                ),
                (
                    "FeedbackDeadLetterQueue",
                    self.feedback.dead_letter_queue,
                    "SES feedback (bounces, complaints) that could not be applied: consent "
                    "changes are waiting",
                ),
                (
                    "TimerDeadLetterQueue",
                    self.scheduling.dead_letter_queue,
                    "timers Scheduler could not deliver to the bus (nudges never sent)",
                ),
                (
                    "LeaderboardIndexDeadLetterQueue",
                    self.leaderboards.index_dead_letter_queue,
                    "stream batches the leaderboard index gave up on (shard ranges; the records "
                    "stay in the stream 24 h): those scores are not ranked until a later score "
                    "of the same player and period, so replay them today",
                ),
                (
                    "LakeWriterDeadLetterQueue",
                    self.lake.writer_dead_letter_queue,
                    "stream batches the lake writer gave up on (shard ranges; the records stay "
                    "in the stream 24 h): reports will miss those decisions until replayed",
                ),
            ],
            stream_function=functions.dispatch.function,
            bus=self.bus.bus,
            bus_rules=[("ToEngine", self.bus.rule), ("ToLake", self.lake.events_rule)],
            default_bus_rules=[("SesToFeedback", self.feedback.rule)],
            apis=[
                ("Console", self.console.api),
                ("PlayerApi", self.player_api.api),
                ("Unsubscribe", self.unsubscribe.api),
            ],
            tables=[
                ("Player", self.tables.player_table),
                ("Config", self.tables.config_table),
            ],
            queues=[
                ("engine queue", self.bus.engine_queue),
                ("feedback queue", self.feedback.queue),
                ("engine DLQ", self.bus.dead_letter_queue),
                ("dispatch DLQ", functions.dispatch_dead_letter_queue),
            ],
        )

    def _outputs(self) -> None:
        outputs = {
            "BusName": (self.bus.bus.event_bus_name, "Operators PutEvents here"),
            "BusArn": (self.bus.bus.event_bus_arn, "ARN of the engage bus"),
            "ComplianceTopicArn": (
                self.compliance.topic.topic_arn,
                "Responsible-gaming alerts: subscribe your compliance team",
            ),
            "PlayerTableName": (self.tables.player_table.table_name, "Player state table"),
            "ConfigTableName": (self.tables.config_table.table_name, "Config items table"),
            "EngineQueueUrl": (self.bus.engine_queue.queue_url, "Buffer in front of engine"),
            "DeadLetterQueueUrl": (
                self.bus.dead_letter_queue.queue_url,
                "Events the engine could not apply, with the reason",
            ),
            "DeliveryDeadLetterQueueUrl": (
                self.bus.delivery_dead_letter_queue.queue_url,
                "Events EventBridge could not deliver to the engine queue",
            ),
            "DispatchDeadLetterQueueUrl": (
                self.functions.dispatch_dead_letter_queue.queue_url,
                "Stream batches dispatch could not perform (shard ranges)",
            ),
            "EngineFunctionName": (
                self.functions.engine.function.function_name,
                "Engine Lambda (logs, metrics)",
            ),
            "DispatchFunctionName": (
                self.functions.dispatch.function.function_name,
                "Dispatch Lambda (logs, metrics)",
            ),
            "ScheduleGroupName": (self.scheduling.group_name, "Where player timers live"),
            "AlarmTopicArn": (
                self.observability.topic.topic_arn,
                "Every alarm of the stack: subscribe the on-call rota",
            ),
            "DashboardName": (
                self.observability.dashboard.dashboard_name,
                "CloudWatch dashboard of the stack",
            ),
            "TimerDeadLetterQueueUrl": (
                self.scheduling.dead_letter_queue.queue_url,
                "Timers Scheduler could not deliver",
            ),
            "FeedbackDeadLetterQueueUrl": (
                self.feedback.dead_letter_queue.queue_url,
                "SES feedback that could not be applied",
            ),
            "BacktestStateMachineArn": (
                self.backtest.state_machine.state_machine_arn,
                "Start an execution with {from, to, draft} to backtest a draft at scale",
            ),
            "SesConfigurationSetName": (
                self.email.configuration_set_name,
                "SES configuration set used for every message",
            ),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
