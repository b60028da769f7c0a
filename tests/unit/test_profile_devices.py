"""Push devices: the contract of player.device_registered/removed and how the profile keeps them."""

from __future__ import annotations

import pytest

from events.models import ContractError, DeviceRegistered, DeviceRemoved, parse_event
from shared.domain.players.profile import MAX_DEVICES, Profile, apply_event
from tests.builders import PLAYER, at, eid

TOKEN = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"


def registered_device(token: str = TOKEN, platform: str = "ios", **when: float) -> DeviceRegistered:
    return DeviceRegistered(
        player_id=PLAYER,
        event_id=eid("dev"),
        occurred_at=at(**when),
        device_token=token,
        platform=platform,
    )


def removed_device(token: str = TOKEN, **when: float) -> DeviceRemoved:
    return DeviceRemoved(
        player_id=PLAYER, event_id=eid("rm"), occurred_at=at(**when), device_token=token
    )


def fold(*events: DeviceRegistered | DeviceRemoved) -> Profile:
    profile = Profile(player_id=PLAYER)
    for event in events:
        profile = apply_event(profile, event)
    return profile


def envelope(detail_type: str, **detail: object) -> dict[str, object]:
    return {
        "source": "casino.example",
        "detail-type": detail_type,
        "detail": {
            "player_id": PLAYER,
            "event_id": "d-1",
            "occurred_at": "2025-03-16T08:20:00+02:00",
            **detail,
        },
    }


def test_given_a_registration_when_folded_then_the_device_is_kept_with_platform_and_time():
    p = fold(registered_device(hours=1))

    assert [(d.token, d.platform, d.registered_at) for d in p.devices] == [
        (TOKEN, "ios", at(hours=1))
    ]


def test_given_the_same_token_twice_when_folded_then_one_entry_with_the_latest_details():
    p = fold(registered_device(platform="ios", hours=1), registered_device(platform="web", hours=2))

    assert [(d.token, d.platform, d.registered_at) for d in p.devices] == [
        (TOKEN, "web", at(hours=2))
    ]


def test_given_a_late_older_registration_when_folded_then_the_newer_one_stands():
    p = fold(registered_device(platform="web", hours=2), registered_device(platform="ios", hours=1))

    assert [(d.platform, d.registered_at) for d in p.devices] == [("web", at(hours=2))]


def test_given_more_than_the_maximum_when_folded_then_the_most_recent_devices_are_kept():
    p = fold(*(registered_device(f"t{i}", "android", hours=i) for i in range(MAX_DEVICES + 3)))

    assert [d.token for d in p.devices] == [f"t{i}" for i in range(3, MAX_DEVICES + 3)]


def test_given_a_removal_when_folded_then_only_that_token_is_forgotten():
    p = fold(
        registered_device("t1", hours=1), registered_device("t2", hours=2), removed_device("t1")
    )

    assert [d.token for d in p.devices] == ["t2"]


def test_given_device_events_when_folded_then_they_are_not_counted_as_player_activity():
    assert fold(registered_device(hours=1)).last_activity_at is None


def test_given_a_valid_envelope_when_parsed_then_the_device_event_is_typed():
    event = parse_event(
        envelope("player.device_registered", device_token=TOKEN, platform="android", app_id="x")
    )

    assert isinstance(event, DeviceRegistered)
    assert event.app_id == "x"
    assert isinstance(
        parse_event(envelope("player.device_removed", device_token=TOKEN)), DeviceRemoved
    )


@pytest.mark.parametrize(
    ("detail", "problem"),
    [
        ({"device_token": TOKEN, "platform": "windows"}, "platform"),
        ({"device_token": "", "platform": "ios"}, "device_token"),
        ({"device_token": "x" * 4097, "platform": "ios"}, "device_token"),
        ({"device_token": "has space", "platform": "ios"}, "device_token"),
        ({"platform": "ios"}, "device_token"),
    ],
)
def test_given_a_bad_device_registration_when_parsed_then_it_is_refused_naming_the_field(
    detail, problem
):
    with pytest.raises(ContractError, match=problem):
        parse_event(envelope("player.device_registered", **detail))
