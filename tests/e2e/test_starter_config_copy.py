"""The starter config the suite copies (tests/starter_config.py) is what a real load leaves."""

from shared import wiring
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config
from tests.starter_config import config_items, publish_starter


def test_a_copied_starter_config_is_the_loaded_one_item_for_item(moto_server):
    server, endpoint = moto_server
    try:
        loaded = Embedded.on(server, endpoint, START)
        version = load_starter_config(loaded.runtime.config, loaded.clock.now())
        expected = config_items(loaded)
        publish_starter(Embedded.on(server, endpoint, START))  # loads for real if first
        copied = Embedded.on(server, endpoint, START)
        assert publish_starter(copied) == version
        assert config_items(copied) == expected
        assert len(expected) > 30  # every starter item, the publication, the version
        assert copied.runtime.config.published_version() == version
    finally:
        wiring.reset()
