"""Adapter tests run against moto's in-process AWS: no sockets, no real credentials."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.adapters.capacity import CapacityMeter
from shared.adapters.config_store import ConfigStore
from shared.adapters.dead_letters import SqsDeadLetters
from shared.adapters.email_ses import SesEmailSender
from shared.adapters.player_store import PlayerStore
from shared.adapters.scheduler import TimerScheduler

# Set before any client exists; the suite-wide conftest does the same, this keeps the
# adapter suite safe when it is run on its own from another rootdir.
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_var, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # moto's fake credentials
os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
# New botocore sends DynamoDB Streams calls to an account-based host moto does not route.
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
PLAYER_TABLE = "engage-players"
CONFIG_TABLE = "engage-config"
SCHEDULE_GROUP = "engage-timers"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/engage"
SCHEDULER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/engage-scheduler"
FROM_ADDRESS = "no-reply@engage.example.com"
CONFIGURATION_SET = "engage-email"


def _key_schema() -> dict[str, Any]:
    return {
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


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def ddb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def player_table(ddb: Any) -> str:
    ddb.create_table(
        TableName=PLAYER_TABLE,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        **_key_schema(),
    )
    return PLAYER_TABLE


@pytest.fixture
def config_table(ddb: Any) -> str:
    ddb.create_table(TableName=CONFIG_TABLE, **_key_schema())
    return CONFIG_TABLE


@pytest.fixture
def meter() -> CapacityMeter:
    return CapacityMeter()


@pytest.fixture
def players(ddb: Any, player_table: str, meter: CapacityMeter) -> PlayerStore:
    return PlayerStore(player_table, ddb, meter)


@pytest.fixture
def config_store(ddb: Any, config_table: str, meter: CapacityMeter) -> ConfigStore:
    return ConfigStore(config_table, ddb, meter)


@pytest.fixture
def scheduler_client(aws: None) -> Any:
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name=SCHEDULE_GROUP)
    return client


@pytest.fixture
def timers(scheduler_client: Any) -> TimerScheduler:
    return TimerScheduler(scheduler_client, SCHEDULE_GROUP, BUS_ARN, SCHEDULER_ROLE_ARN)


@pytest.fixture
def sesv2(aws: None) -> Any:
    client = boto3.client("sesv2", region_name=REGION)
    client.create_email_identity(EmailIdentity=FROM_ADDRESS)
    client.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    return client


@pytest.fixture
def email(sesv2: Any) -> SesEmailSender:
    return SesEmailSender(sesv2, FROM_ADDRESS, CONFIGURATION_SET)


@pytest.fixture
def sqs(aws: None) -> Any:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def dlq_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="engage-engine-dlq")["QueueUrl"])


@pytest.fixture
def dead_letters(sqs: Any, dlq_url: str) -> SqsDeadLetters:
    return SqsDeadLetters(sqs, dlq_url)


@pytest.fixture
def offline_client(aws: None) -> Any:
    """Factory for clients driven by a Stubber; moto stays on so a missed stub cannot leak."""

    def make(service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    return make
