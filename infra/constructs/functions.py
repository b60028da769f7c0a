"""The engine and dispatch functions, their roles, logs and event sources."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from events.models import ENGINE_SOURCE
from events.routing import OUTBOX_STREAM_FILTER
from infra.config import LOG_RETENTION_NAMES, StackConfig
from infra.constructs.bus import EngageBus
from infra.constructs.compliance import Compliance
from infra.constructs.email import Email
from infra.constructs.player_stream import consume_player_stream, stream_dead_letter_queue
from infra.constructs.scheduling import Scheduling
from infra.constructs.tables import DISPATCH_PLAYER_ACTIONS, ENGINE_PLAYER_ACTIONS, Tables
from infra.lambda_code import runtime_code
from infra.nag import acknowledge
from shared.settings import ENV

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
MEMORY_MB = 512
ENGINE_TIMEOUT = Duration.seconds(30)
DISPATCH_TIMEOUT = Duration.seconds(30)
# Stream records that keep failing are retried this often (halving the batch each time)
# before their shard position is sent to the dispatch dead-letter queue.
DISPATCH_RETRY_ATTEMPTS = 5

# The AWS-managed Powertools v3 layer (includes pydantic), published in every commercial
# region by this account; the name must match RUNTIME and ARCHITECTURE.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-arm64"
METRICS_NAMESPACE = "Engage"

_XRAY_REASON = (
    "X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords "
    "do not support resource-level permissions, so CDK grants them on '*'."
)
_RUNTIME_REASON = (
    "Pinned to python3.13 on purpose: the AWS-managed Powertools layer we attach is built "
    "for python313-arm64 and the code is tested on 3.13. Move RUNTIME and "
    "POWERTOOLS_LAYER_NAME together."
)


_SNS_SMS_REASON = (
    " Also sns:Publish for SMS through SNS: a text to a phone number has no topic or "
    "endpoint ARN to name, so SNS only authorizes it on '*' (only when sms_provider=sns)."
)


def sms_identity_arn(scope: IConstruct, identity: str) -> str:
    """The ARN IAM checks for SendTextMessage, from the configured identity or its id."""
    if identity.startswith("arn:"):
        return identity
    kind = "phone-number" if identity.startswith("phone-") else "pool"
    return Stack.of(scope).format_arn(service="sms-voice", resource=kind, resource_name=identity)


def mobile_environment(config: StackConfig) -> dict[str, str]:
    """Env vars for the SMS and push channels, set only when the deployment configures them."""
    values = {
        "sms_provider": config.sms_provider,
        "sms_origination_identity": config.sms_origination_identity,
        "push_application_id": config.push_application_id,
    }
    return {ENV[name]: value for name, value in values.items() if value}


def grant_mobile_send(role: iam.IRole, config: StackConfig) -> None:
    """Least privilege per configured channel; nothing at all when SMS and push are off."""
    if config.sms_provider == "eum" and config.sms_origination_identity:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sms-voice:SendTextMessage"],
                resources=[sms_identity_arn(role, config.sms_origination_identity)],
            )
        )
    elif config.sms_provider == "sns":
        role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
    if config.push_application_id:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["mobiletargeting:SendMessages"],
                resources=[
                    Stack.of(role).format_arn(
                        service="mobiletargeting",
                        resource="apps",
                        resource_name=f"{config.push_application_id}/messages",
                    )
                ],
            )
        )


def powertools_layer_arn(scope: Construct, version: int) -> str:
    """ARN of the Powertools layer in the stack's region (works for an env-agnostic stack)."""
    return Stack.of(scope).format_arn(
        service="lambda",
        account=POWERTOOLS_LAYER_ACCOUNT,
        resource="layer",
        resource_name=f"{POWERTOOLS_LAYER_NAME}:{version}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class AppFunction(Construct):
    """A function with its own role (no managed policies) and its own log group."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        description: str,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
        timeout: Duration,
        environment: dict[str, str],
        log_retention: logs.RetentionDays,
        log_removal: RemovalPolicy,
        wildcard_reason: str = _XRAY_REASON,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=log_removal
        )
        # Not AWSLambdaBasicExecutionRole: that one may write to any log group.
        self.role = iam.Role(
            self,
            "Role",
            description=f"engage: {description}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"engage: {description}",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=code,
            layers=[layer],
            memory_size=MEMORY_MB,
            timeout=timeout,
            environment=environment,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]", wildcard_reason)
        acknowledge(self.function, "AwsSolutions-L1", _RUNTIME_REASON)


def app_function(
    scope: Construct,
    *,
    config: StackConfig,
    handler: str,
    service: str,
    description: str,
    timeout: Duration,
    removal: RemovalPolicy,
    environment: dict[str, str],
) -> AppFunction:
    """One more function of the app: the shared code asset, the Powertools layer, the common
    environment, its own role and log group (children of `scope`: PowertoolsLayer, Function)."""
    layer = lambda_.LayerVersion.from_layer_version_arn(
        scope, "PowertoolsLayer", powertools_layer_arn(scope, config.powertools_layer_version)
    )
    return AppFunction(
        scope,
        "Function",
        handler=handler,
        description=description,
        code=runtime_code(),
        layer=layer,
        timeout=timeout,
        log_retention=logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]],
        log_removal=removal,
        environment={
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_SERVICE_NAME": service,
            "LOG_LEVEL": config.log_level,
            **environment,
        },
    )


class EngageFunctions(Construct):
    """engine: queue -> decide -> one transaction per player; dispatch: outbox -> effects."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StackConfig,
        bus: EngageBus,
        tables: Tables,
        scheduling: Scheduling,
        email: Email,
        compliance: Compliance,
    ) -> None:
        super().__init__(scope, id)
        # One asset and one layer for both functions: a single upload per code change.
        code = runtime_code()
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", powertools_layer_arn(self, config.powertools_layer_version)
        )
        common_env = {
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "LOG_LEVEL": config.log_level,
        }
        log_retention = logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]]
        # Logs outlive the stack like the data does, unless this is a throw-away stack.
        log_removal = config.removal_policy

        self.engine = AppFunction(
            self,
            "Engine",
            handler="functions.engine.handler.handler",
            description="applies player events (engine queue) to player state",
            code=code,
            layer=layer,
            timeout=ENGINE_TIMEOUT,
            log_retention=log_retention,
            log_removal=log_removal,
            environment={
                **common_env,
                "POWERTOOLS_SERVICE_NAME": "engage-engine",
                ENV["player_table"]: tables.player_table.table_name,
                ENV["config_table"]: tables.config_table.table_name,
                ENV["dead_letter_queue_url"]: bus.dead_letter_queue.queue_url,
                ENV["dedupe_days"]: str(config.dedupe_days),
                ENV["reorder_window_seconds"]: str(config.reorder_window_seconds),
                ENV["compliance_topic_arn"]: compliance.topic.topic_arn,
                ENV["bus_arn"]: bus.bus.event_bus_arn,
            },
        )
        # Catalog fan-out: the per-player price-drop / restock events and the continuation
        # pages, only as the engine's source (docs/ecommerce.md).
        bus.grant_put_internal_events(self.engine.role, ENGINE_SOURCE)
        # A malformed responsible-gaming event is a loud alert, not only a DLQ entry.
        compliance.grant_publish(self.engine.role)
        tables.grant_player_access(self.engine.role, ENGINE_PLAYER_ACTIONS)
        tables.grant_config_read(self.engine.role)
        # The engine parks events that break the contract in the DLQ itself, with a reason.
        self.engine.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[bus.dead_letter_queue.queue_arn]
            )
        )
        window = config.engine_batching_window_seconds
        self.engine.function.add_event_source(
            sources.SqsEventSource(
                bus.engine_queue,
                batch_size=config.engine_batch_size,
                max_batching_window=Duration.seconds(window) if window else None,
                # A bad event fails alone; the rest of its batch is deleted (invariant 2).
                report_batch_item_failures=True,
                # A backlog scales the engine up to this and no further, leaving the
                # account's concurrency to the console, the player API and dispatch.
                max_concurrency=config.engine_max_concurrency,
            )
        )

        # Failed stream batches: Lambda sends the shard/sequence range here (not the records;
        # they stay readable in the stream for 24 h).
        self.dispatch_dead_letter_queue = stream_dead_letter_queue(
            self, "DispatchDeadLetterQueue", "dispatch function"
        )
        self.dispatch = AppFunction(
            self,
            "Dispatch",
            handler="functions.dispatch.handler.handler",
            description="performs outbox items (messages, timers, derived events)",
            code=code,
            layer=layer,
            timeout=DISPATCH_TIMEOUT,
            log_retention=log_retention,
            log_removal=log_removal,
            wildcard_reason=_XRAY_REASON
            + " Also dynamodb:ListStreams, which the stream event source needs and which "
            "has no resource-level permission either (DescribeStream, GetRecords and "
            "GetShardIterator are scoped to the player table's stream)."
            + (_SNS_SMS_REASON if config.sms_provider == "sns" else ""),
            environment={
                **common_env,
                "POWERTOOLS_SERVICE_NAME": "engage-dispatch",
                ENV["player_table"]: tables.player_table.table_name,
                ENV["config_table"]: tables.config_table.table_name,
                ENV["bus_arn"]: bus.bus.event_bus_arn,
                ENV["schedule_group"]: scheduling.group_name,
                ENV["scheduler_role_arn"]: scheduling.role.role_arn,
                ENV["schedule_dead_letter_queue_arn"]: scheduling.dead_letter_queue.queue_arn,
                ENV["email_from"]: email.email_from,
                ENV["ses_configuration_set"]: email.configuration_set_name,
                ENV["compliance_topic_arn"]: compliance.topic.topic_arn,
                **mobile_environment(config),
            },
        )
        compliance.grant_publish(self.dispatch.role)
        # It marks outbox items done and reads consent, caps and quiet hours from the player.
        tables.grant_player_access(self.dispatch.role, DISPATCH_PLAYER_ACTIONS)
        tables.grant_config_read(self.dispatch.role)
        # Only the derived events the engine decides, only as the engine's source: without
        # the condition dispatch could put a `wallet.deposit_succeeded` and mint bonuses.
        bus.grant_put_internal_events(self.dispatch.role, ENGINE_SOURCE)
        scheduling.grant_manage_schedules(self.dispatch.role)
        email.grant_send(self.dispatch.role)
        grant_mobile_send(self.dispatch.role, config)
        consume_player_stream(
            self.dispatch.function,
            tables,
            self.dispatch_dead_letter_queue,
            [OUTBOX_STREAM_FILTER],
            batch_size=config.dispatch_batch_size,
            retry_attempts=DISPATCH_RETRY_ATTEMPTS,
            report_batch_item_failures=True,
        )
        acknowledge(
            self.dispatch.role,
            scheduling.schedules_finding_id,
            "Schedule names are per player and timer, created at run time, so the resource "
            "is every schedule of the stack's own schedule group (schedule/<group>/*); "
            "IAM has no narrower resource for CreateSchedule/UpdateSchedule/DeleteSchedule.",
        )
