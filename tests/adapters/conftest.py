"""Adapter tests run against moto's in-process AWS: no sockets, no real credentials."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
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
TIMER_DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:engage-timer-dlq"
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


def stored_sort_keys(ddb: Any, player_id: str = "player-1") -> list[str]:
    """The sort keys of one player's partition in the player table, sorted."""
    resp = ddb.query(
        TableName=PLAYER_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PLAYER#{player_id}"}},
    )
    return sorted(item["sk"]["S"] for item in resp["Items"])


@pytest.fixture(scope="session")
def client_cache() -> dict[str, Any]:
    # Creating a client costs more than most tests; moto's handler is registered when moto
    # is imported, so clients made once still reach the fresh backends of each test.
    return {}


def _client(cache: dict[str, Any], service: str) -> Any:
    if service not in cache:
        cache[service] = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
    return cache[service]


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh, empty moto account for one test (backends are reset on start)."""
    with mock_aws():
        yield


@pytest.fixture
def client(aws: None, client_cache: dict[str, Any]) -> Callable[[str], Any]:
    """A moto-backed client for a service."""
    return lambda service: _client(client_cache, service)


@pytest.fixture
def ddb(client: Callable[[str], Any]) -> Any:
    return client("dynamodb")


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
def scheduler_client(client: Callable[[str], Any]) -> Any:
    scheduler = client("scheduler")
    scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
    return scheduler


@pytest.fixture
def timers(scheduler_client: Any) -> TimerScheduler:
    return TimerScheduler(
        scheduler_client, SCHEDULE_GROUP, BUS_ARN, SCHEDULER_ROLE_ARN, TIMER_DLQ_ARN
    )


@pytest.fixture
def sesv2(client: Callable[[str], Any]) -> Any:
    ses = client("sesv2")
    ses.create_email_identity(EmailIdentity=FROM_ADDRESS)
    ses.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    return ses


@pytest.fixture
def email(sesv2: Any) -> SesEmailSender:
    return SesEmailSender(sesv2, FROM_ADDRESS, CONFIGURATION_SET)


@pytest.fixture
def sqs(client: Callable[[str], Any]) -> Any:
    return client("sqs")


@pytest.fixture
def dlq_url(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="engage-engine-dlq")["QueueUrl"])


@pytest.fixture
def dead_letters(sqs: Any, dlq_url: str) -> SqsDeadLetters:
    return SqsDeadLetters(sqs, dlq_url)


@pytest.fixture(scope="session")
def stub_client_cache() -> dict[str, Any]:
    return {}


@pytest.fixture
def stubbed(aws: None, stub_client_cache: dict[str, Any]) -> Iterator[Callable[[str], Any]]:
    """(client, active Stubber) for errors moto cannot produce; the Stubber checks every
    request against the real API model. moto stays on, so a missed stub cannot leak out."""
    active: list[Stubber] = []

    def make(service: str) -> tuple[Any, Stubber]:
        stub_client = _client(stub_client_cache, service)
        stubber = Stubber(stub_client)
        stubber.activate()
        active.append(stubber)
        return stub_client, stubber

    yield make
    for stubber in active:
        stubber.deactivate()
