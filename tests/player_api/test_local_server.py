"""The local adapter: on 127.0.0.1, and closed without this run's key (401)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from shared.local.player_api_server import KEY_HEADER, PlayerApiServer
from shared.player_api import wiring as player_api_wiring

from .conftest import PLAYER, deliver


@pytest.fixture
def server(stack):
    services = player_api_wiring.services()
    served = PlayerApiServer(services).start()
    yield served
    served.stop()


def get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_given_the_local_server_it_listens_on_loopback_with_a_random_key(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert len(server.key) >= 24


def test_without_the_key_or_with_a_wrong_one_then_401(server):
    url = f"{server.url}/v1/players/{PLAYER}/inbox"

    assert get(url, {})[0] == 401
    assert get(url, {KEY_HEADER: "guess"})[0] == 401


def test_with_the_key_then_the_real_handler_answers(stack, server):
    deliver(stack, "m1")

    status, body = get(f"{server.url}/v1/players/{PLAYER}/inbox", {KEY_HEADER: server.key})

    assert status == 200
    assert [m["message_id"] for m in body["messages"]] == ["m1"]
