"""The console's player view never shows a push token whole."""

from __future__ import annotations

from .conftest import PLAYER, call, envelope


def test_given_a_registered_device_when_the_player_is_viewed_then_its_token_is_masked(stack):
    device = envelope("player.device_registered")
    token = device["detail"]["device_token"]
    stack.runtime.put_events([envelope("player.registered"), device])
    stack.runtime.pump()

    answer = call("GET", f"/api/players/{PLAYER}", role="viewer")

    assert answer.status == 200
    (shown,) = answer.json["profile"]["devices"]
    assert shown["platform"] == "ios"
    assert shown["token"] == "***" + token[-2:]
    assert token not in answer.text
