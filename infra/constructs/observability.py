"""Alarms, their topic, and the operations dashboard.

Every way the stack can lose or park work raises an alarm on one topic: a message in any
dead-letter queue, function errors and throttles, a dispatch stream falling behind, bus
rules failing to deliver, SES reputation nearing the level where AWS pauses sending, API
5xx, DynamoDB throttling, and emails failing to send. Subscribe the on-call rota to the
topic (`-c alarm_email=...` subscribes one address at deploy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared import metric_names as m

# Powertools names the service dimension this (POWERTOOLS_SERVICE_NAME).
SERVICE_DIMENSION = "service"
PERIOD = Duration.minutes(5)
# Dispatch reads a stream that keeps records 24 h: an hour behind is already an incident.
ITERATOR_AGE_LIMIT = Duration.minutes(15)
# SES reviews an account at a 5 % bounce rate and may pause it at 10 %; complaints at 0.1 %
# and 0.5 %. Alarm at the review level, while there is still time to act.
SES_BOUNCE_RATE = 0.05
SES_COMPLAINT_RATE = 0.001


@dataclass(frozen=True)
class Watched:
    """What the alarms watch, by role (names are what the alarm descriptions show)."""

    functions: Sequence[tuple[str, lambda_.IFunction]]
    dead_letter_queues: Sequence[tuple[str, sqs.IQueue, str]]
    stream_function: lambda_.IFunction
    bus: events.IEventBus
    bus_rules: Sequence[tuple[str, events.IRule]]
    default_bus_rules: Sequence[tuple[str, events.IRule]]
    apis: Sequence[tuple[str, apigw.IHttpApi]]
    tables: Sequence[tuple[str, dynamodb.ITable]]
    queues: Sequence[tuple[str, sqs.IQueue]]


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        watched: Watched,
        stage: str,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        # A customer-managed key: CloudWatch alarms cannot publish to a topic encrypted with
        # the AWS-managed aws/sns key (its policy cannot grant the CloudWatch service).
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description="engage: encrypts the alarm topic",
            enable_key_rotation=True,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"engage ({stage}) alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for name, queue, what in watched.dead_letter_queues:
            self._alarm(
                f"{name}NotEmpty",
                queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                threshold=0,
                description=f"{name} holds messages: {what}",
            )
        for name, function in watched.functions:
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name} function failed invocations (see its log group)",
            )
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name} function was throttled (account or reserved concurrency)",
            )
        self._alarm(
            "DispatchIteratorAge",
            watched.stream_function.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
            threshold=ITERATOR_AGE_LIMIT.to_milliseconds(),
            description=(
                "Dispatch is more than 15 minutes behind the player table's stream. The stream "
                "keeps records 24 h: past that, outbox items are never performed."
            ),
        )
        for name, rule in watched.bus_rules:
            self._alarm(
                f"{name}FailedInvocations",
                self._failed_invocations(rule, watched.bus.event_bus_name),
                threshold=0,
                description=f"The bus rule {name} could not deliver events to its target",
            )
        for name, rule in watched.default_bus_rules:
            self._alarm(
                f"{name}FailedInvocations",
                self._failed_invocations(rule, None),
                threshold=0,
                description=f"The default-bus rule {name} could not deliver events",
            )
        self._alarm(
            "SesBounceRate",
            cloudwatch.Metric(
                namespace="AWS/SES",
                metric_name="Reputation.BounceRate",
                period=Duration.hours(1),
                statistic="Maximum",
            ),
            threshold=SES_BOUNCE_RATE,
            description="SES bounce rate at the level where AWS reviews the account (5 %)",
        )
        self._alarm(
            "SesComplaintRate",
            cloudwatch.Metric(
                namespace="AWS/SES",
                metric_name="Reputation.ComplaintRate",
                period=Duration.hours(1),
                statistic="Maximum",
            ),
            threshold=SES_COMPLAINT_RATE,
            description="SES complaint rate at the level where AWS reviews the account (0.1 %)",
        )
        for name, api in watched.apis:
            self._alarm(
                f"{name}ServerErrors",
                api.metric_server_error(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name} API answered 5xx",
            )
        for name, table in watched.tables:
            self._alarm(
                f"{name}Throttles",
                cloudwatch.MathExpression(
                    expression="reads + writes",
                    using_metrics={
                        "reads": table.metric("ReadThrottleEvents", statistic="Sum"),
                        "writes": table.metric("WriteThrottleEvents", statistic="Sum"),
                    },
                    period=PERIOD,
                    label=f"{name} throttle events",
                ),
                threshold=0,
                description=f"DynamoDB throttled requests on the {name} table",
            )
        self._alarm(
            "EmailSendFailures",
            self._engage(m.MESSAGES_FAILED, m.DISPATCH_SERVICE, {m.CHANNEL: "email"}),
            threshold=0,
            description=(
                "Emails are failing to send (SES refused them): an unverified sender, the SES "
                "sandbox, or a paused account. docs/deploy.md, 'SES: verify the sender'."
            ),
        )
        self.dashboard = self._dashboard(watched, stage)

    # --- alarms ---------------------------------------------------------------------------

    def _alarm(
        self, id: str, metric: cloudwatch.IMetric, *, threshold: float, description: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            # No data is good news for all of these (EventBridge and Lambda publish errors
            # only when there are some).
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    @staticmethod
    def _failed_invocations(rule: events.IRule, bus_name: str | None) -> cloudwatch.Metric:
        # A custom bus's rules are measured by (EventBusName, RuleName), the default bus's
        # by RuleName alone.
        dimensions = {"RuleName": rule.rule_name}
        if bus_name is not None:
            dimensions["EventBusName"] = bus_name
        return cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions_map=dimensions,
            period=PERIOD,
            statistic="Sum",
        )

    @staticmethod
    def _engage(
        name: str, service: str, extra: dict[str, str] | None = None, statistic: str = "Sum"
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=m.NAMESPACE,
            metric_name=name,
            dimensions_map={SERVICE_DIMENSION: service, **(extra or {})},
            period=PERIOD,
            statistic=statistic,
        )

    # --- dashboard --------------------------------------------------------------------------

    def _dashboard(self, watched: Watched, stage: str) -> cloudwatch.Dashboard:
        engine, dispatch = m.ENGINE_SERVICE, m.DISPATCH_SERVICE

        def search(name: str, service: str, dimension: str) -> cloudwatch.MathExpression:
            # One line per channel or reason, whichever values the functions emit.
            return cloudwatch.MathExpression(
                expression=(
                    f"SEARCH('{{{m.NAMESPACE},{SERVICE_DIMENSION},{dimension}}} "
                    f'MetricName="{name}" {SERVICE_DIMENSION}="{service}"\', \'Sum\', 300)'
                ),
                using_metrics={},
                label=name,
                period=PERIOD,
            )

        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.days(1))
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    f"# engage ({stage})\n"
                    "Events in, decisions, messages out. Alarms go to the alarm topic; "
                    "docs/deploy.md says what each one means."
                ),
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Events (engine)",
                left=[
                    self._engage(m.EVENTS_APPLIED, engine),
                    self._engage(m.EVENTS_DUPLICATE, engine),
                    self._engage(m.EVENTS_REFUSED, engine),
                    self._engage(m.TIMERS_FIRED, engine),
                    self._engage(m.FIELDS_DROPPED, engine),
                    self._engage(m.CONTACTS_DUPLICATE, engine),
                    self._engage(m.PLAYERS_MERGED, engine),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Decision latency (ms)",
                left=[
                    self._engage(m.DECISION_LATENCY, engine, statistic="p50"),
                    self._engage(m.DECISION_LATENCY, engine, statistic="p99"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Timers (dispatch)",
                left=[
                    self._engage(m.TIMERS_ARMED, dispatch),
                    self._engage(m.TIMERS_CANCELLED, dispatch),
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Messages sent per channel",
                left=[search(m.MESSAGES_SENT, dispatch, m.CHANNEL)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Messages suppressed per reason",
                left=[search(m.MESSAGES_SUPPRESSED, dispatch, m.REASON)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Messages failed per channel",
                left=[search(m.MESSAGES_FAILED, dispatch, m.CHANNEL)],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Queue depth",
                left=[
                    q.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=name
                    )
                    for name, q in watched.queues
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[
                    f.metric_errors(period=PERIOD, statistic="Sum", label=name)
                    for name, f in watched.functions
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p99 (ms)",
                left=[
                    f.metric_duration(period=PERIOD, statistic="p99", label=name)
                    for name, f in watched.functions
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="DynamoDB consumed capacity",
                left=[
                    t.metric_consumed_write_capacity_units(
                        period=PERIOD, statistic="Sum", label=f"{name} WCU"
                    )
                    for name, t in watched.tables
                ],
                right=[
                    t.metric_consumed_read_capacity_units(
                        period=PERIOD, statistic="Sum", label=f"{name} RCU"
                    )
                    for name, t in watched.tables
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms), width=12, height=6
            ),
        )
        return dashboard
