"""One moto server on loopback for the e2e suite; every test gets a freshly provisioned stack."""

import functools
import threading

import pytest
from moto.dynamodb.models import DynamoDBBackend

from shared import wiring
from shared.local.demo import START
from shared.local.embedded import Embedded, start_moto
from tests.starter_config import publish_starter


@pytest.fixture(scope="session", autouse=True)
def isolated_moto_transactions():
    """Make moto's TransactWriteItems isolated, as DynamoDB's are.

    moto rolls a failed transaction back by restoring a whole-table snapshot taken when it
    started, which silently erases writes other threads committed meanwhile. Real DynamoDB
    transactions are serializable; tests that race writers need that, not moto's artefact.
    """
    original = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    @functools.wraps(original)
    def serialized(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    DynamoDBBackend.transact_write_items = serialized
    yield
    DynamoDBBackend.transact_write_items = original


@pytest.fixture(scope="session")
def moto_server():
    server, endpoint = start_moto()
    yield server, endpoint
    server.stop()


@pytest.fixture
def stack(moto_server):
    server, endpoint = moto_server
    embedded = Embedded.on(server, endpoint, START)
    yield embedded
    wiring.reset()


@pytest.fixture
def started(stack):
    """A stack with the starter rules and templates published."""
    publish_starter(stack)
    return stack


@pytest.fixture
def live(moto_server):
    """A stack with the starter config and the engine's reorder window on (240 s), as a
    deployed stack runs (tests/e2e/test_rebuild.py, test_reorder_local.py)."""
    server, endpoint = moto_server
    embedded = Embedded.on(server, endpoint, START, reorder_window_seconds=240)
    publish_starter(embedded)
    yield embedded
    wiring.reset()
