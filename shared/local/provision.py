"""Create, on a moto endpoint, the same resources the CDK stack creates in AWS."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from events.routing import BUS_RULE_PATTERN
from shared.adapters.board_items import add_board_index
from shared.settings import DispatchSettings, EngineSettings, FeedbackSettings, UnsubscribeSettings
from shared.wiring import AwsClients

REGION = "eu-west-1"
PREFIX = "engage-local"
EMAIL_FROM = "noreply@engage.example"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_LOCAL_CLIENTS: dict[str, AwsClients] = {}


def local_clients(endpoint: str) -> AwsClients:
    """The one set of clients for a local moto endpoint, shared by every stack provisioned on
    it: creating a boto3 client costs about 13 ms, and a stack (provisioning, runtime,
    console) asks for some twenty, which the test suite would pay again for every test."""
    clients = _LOCAL_CLIENTS.get(endpoint)
    if clients is None:
        clients = _LOCAL_CLIENTS[endpoint] = AwsClients(
            endpoint_url=endpoint, region=REGION, credentials=LOCAL_CREDENTIALS
        )
    return clients


# Where `engage up` serves the unsubscribe route; a runtime serving it on another port
# rebuilds dispatch with that URL (LocalRuntime.serve_unsubscribe).
LOCAL_UNSUBSCRIBE_URL = "http://127.0.0.1:4580/unsubscribe"


@dataclass(frozen=True)
class Resources:
    player_table: str
    config_table: str
    bus_name: str
    bus_arn: str
    engine_queue_url: str
    dead_letter_queue_url: str
    dispatch_dlq_url: str
    schedule_group: str
    scheduler_role_arn: str
    schedule_dead_letter_queue_arn: str
    email_from: str
    ses_configuration_set: str
    stream_arn: str
    compliance_topic_arn: str
    # Locally the compliance topic feeds a queue, so alerts can be read back.
    compliance_queue_url: str
    unsubscribe_base_url: str
    # A random key per run, in moto's Secrets Manager: read the way the functions read it.
    unsubscribe_secret_arn: str
    # Fields with defaults stay last. moto's SNS accepts SMS publishes (read back from its
    # backend), so the local demo can send SMS; push has no moto support and stays off.
    sms_provider: str | None = "sns"
    # Push goes through moto's SNS mobile push (platform applications per platform), so the
    # demo and the console show push deliveries too.
    push_sns_applications: str | None = None
    # The reorder window locally: 0 by default, so `engage send` shows its effect at once;
    # `engage up --reorder-window PT3M` runs with the deployed default (docs/design.md).
    reorder_window_seconds: int = 0
    # The bus archive (as the CDK stack keeps one): the history `engage rebuild` reads.
    archive_name: str = ""

    def engine_settings(self) -> EngineSettings:
        return EngineSettings.model_validate(asdict(self))

    def dispatch_settings(self) -> DispatchSettings:
        return DispatchSettings.model_validate(asdict(self))

    def unsubscribe_settings(self) -> UnsubscribeSettings:
        return UnsubscribeSettings.model_validate(asdict(self))

    def feedback_settings(self) -> FeedbackSettings:
        return FeedbackSettings.model_validate(asdict(self))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Resources:
        return cls(**json.loads(text))


def rebuild_table(clients: AwsClients, name: str) -> None:
    """A fresh player table for a rebuild: same keys and index, no stream (nothing to
    dispatch), TTL on."""
    ddb = clients.client("dynamodb")
    kwargs = add_board_index(
        {
            "TableName": name,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
    )
    ddb.create_table(**kwargs)
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


def _table(ddb: Any, name: str, stream: bool) -> None:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        # The player table (the one with the stream) also carries the leaderboard index.
        kwargs = add_board_index(kwargs)
    ddb.create_table(**kwargs)
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


def provision(clients: AwsClients, unsubscribe_base_url: str = LOCAL_UNSUBSCRIBE_URL) -> Resources:
    """Create tables, bus + rule -> queue, DLQs, schedule group and SES config set."""
    ddb = clients.client("dynamodb")
    sqs = clients.client("sqs")
    events = clients.client("events")
    iam = clients.client("iam")

    player_table, config_table = f"{PREFIX}-players", f"{PREFIX}-config"
    _table(ddb, player_table, stream=True)
    _table(ddb, config_table, stream=False)
    stream_arn = ddb.describe_table(TableName=player_table)["Table"]["LatestStreamArn"]

    dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-engine-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"{PREFIX}-engine",
        Attributes={
            # Short here so a failed record is retried within the same local run.
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    dispatch_dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-dispatch-dlq")["QueueUrl"]
    timer_dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-timer-dlq")["QueueUrl"]
    timer_dlq_arn = sqs.get_queue_attributes(QueueUrl=timer_dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]

    bus_arn = events.create_event_bus(Name=PREFIX)["EventBusArn"]
    events.put_rule(
        Name=f"{PREFIX}-to-engine", EventBusName=PREFIX, EventPattern=json.dumps(BUS_RULE_PATTERN)
    )
    events.put_targets(
        Rule=f"{PREFIX}-to-engine",
        EventBusName=PREFIX,
        Targets=[{"Id": "engine", "Arn": queue_arn}],
    )
    # As in the stack: the archive keeps exactly what the engine consumes.
    archive_name = f"{PREFIX}-archive"
    events.create_archive(
        ArchiveName=archive_name,
        EventSourceArn=bus_arn,
        EventPattern=json.dumps(BUS_RULE_PATTERN),
        RetentionDays=30,
    )

    role_arn = iam.create_role(
        RoleName=f"{PREFIX}-scheduler",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    clients.client("scheduler").create_schedule_group(Name=PREFIX)

    sns = clients.client("sns")
    topic_arn = sns.create_topic(Name=f"{PREFIX}-compliance")["TopicArn"]
    alerts_url = sqs.create_queue(QueueName=f"{PREFIX}-compliance-alerts")["QueueUrl"]
    alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=alerts_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    push_applications = ",".join(
        f"{platform}="
        + sns.create_platform_application(
            Name=f"{PREFIX}-{platform}",
            Platform=service,
            Attributes={"PlatformCredential": "local", "PlatformPrincipal": "local"},
        )["PlatformApplicationArn"]
        for platform, service in (("ios", "APNS"), ("android", "GCM"))
    )

    ses = clients.client("sesv2")
    ses.create_email_identity(EmailIdentity=EMAIL_FROM)
    ses.create_configuration_set(ConfigurationSetName=PREFIX)
    secret_arn = clients.client("secretsmanager").create_secret(
        Name=f"{PREFIX}-unsubscribe-key", SecretString=secrets.token_urlsafe(48)
    )["ARN"]

    return Resources(
        player_table=player_table,
        config_table=config_table,
        bus_name=PREFIX,
        bus_arn=bus_arn,
        engine_queue_url=queue_url,
        dead_letter_queue_url=dlq_url,
        dispatch_dlq_url=dispatch_dlq_url,
        schedule_group=PREFIX,
        scheduler_role_arn=role_arn,
        schedule_dead_letter_queue_arn=timer_dlq_arn,
        email_from=EMAIL_FROM,
        ses_configuration_set=PREFIX,
        stream_arn=stream_arn,
        compliance_topic_arn=topic_arn,
        compliance_queue_url=alerts_url,
        unsubscribe_base_url=unsubscribe_base_url,
        unsubscribe_secret_arn=secret_arn,
        push_sns_applications=push_applications,
        archive_name=archive_name,
    )
