"""One moto server on loopback for the e2e suite; every test gets a freshly provisioned stack."""

import pytest

from shared import wiring
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config, start_moto


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
    load_starter_config(stack.runtime.config, stack.clock.now())
    return stack
