"""PinpointPushSender: SendMessages straight to device tokens (Stubber: moto lacks it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.backends import get_backend

from shared.adapters.push import PermanentPushError, PinpointPushSender, PushTarget, SnsPushSender
from shared.errors import ThrottledError
from tests.adapters.conftest import ACCOUNT, REGION

APP = "0123456789abcdef0123456789abcdef"
IOS = PushTarget("a" * 64, "ios")
ANDROID = PushTarget("fcm:android-token", "android")
WEB = PushTarget("fcm:web-token", "web")
DATA = {"outbox": "o-1", "template": "welcome"}


def request(*targets: PushTarget, channels: list[str]) -> dict[str, Any]:
    return {
        "ApplicationId": APP,
        "MessageRequest": {
            "Addresses": {
                t.token: {"ChannelType": c} for t, c in zip(targets, channels, strict=True)
            },
            "MessageConfiguration": {
                "DefaultPushNotificationMessage": {
                    "Title": "Hi",
                    "Body": "Spins await",
                    "Action": "OPEN_APP",
                    "Data": DATA,
                }
            },
            "TraceId": "o-1",
        },
    }


def response(results: dict[str, str]) -> dict[str, Any]:
    return {
        "MessageResponse": {
            "ApplicationId": APP,
            "Result": {
                token: {
                    "DeliveryStatus": status,
                    "StatusCode": 200 if status == "SUCCESSFUL" else 400,
                    "MessageId": f"id-{token[-3:]}",
                }
                for token, status in results.items()
            },
        }
    }


def send(sender: PinpointPushSender, *targets: PushTarget) -> Any:
    return sender.send(list(targets), "Hi", "Spins await", DATA, "o-1")


def test_given_ios_android_and_web_tokens_when_pushed_then_each_goes_to_its_push_service(
    stubbed,
):
    client, stubber = stubbed("pinpoint")
    stubber.add_response(
        "send_messages",
        response({IOS.token: "SUCCESSFUL", ANDROID.token: "SUCCESSFUL", WEB.token: "SUCCESSFUL"}),
        request(IOS, ANDROID, WEB, channels=["APNS", "GCM", "GCM"]),
    )

    result = send(PinpointPushSender(client, APP), IOS, ANDROID, WEB)

    assert len(result.delivered) == 3
    assert (result.dead_tokens, result.retry_tokens) == ([], [])
    stubber.assert_no_pending_responses()


def test_given_mixed_per_token_results_when_pushed_then_dead_and_retryable_tokens_are_told_apart(
    stubbed,
):
    client, stubber = stubbed("pinpoint")
    stubber.add_response(
        "send_messages",
        response(
            {
                IOS.token: "PERMANENT_FAILURE",
                ANDROID.token: "TEMPORARY_FAILURE",
                WEB.token: "OPT_OUT",
            }
        ),
        request(IOS, ANDROID, WEB, channels=["APNS", "GCM", "GCM"]),
    )

    result = send(PinpointPushSender(client, APP), IOS, ANDROID, WEB)

    assert result.delivered == []
    assert result.dead_tokens == [IOS.token, WEB.token]
    assert result.retry_tokens == [ANDROID.token]


def test_given_no_target_when_pushed_then_nothing_is_called(stubbed):
    client, _ = stubbed("pinpoint")

    assert send(PinpointPushSender(client, APP)).delivered == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("TooManyRequestsException", ThrottledError),
        ("BadRequestException", PermanentPushError),
        ("PayloadTooLargeException", PermanentPushError),
    ],
)
def test_given_a_request_level_error_when_pushed_then_it_maps_by_code(stubbed, code, error):
    client, stubber = stubbed("pinpoint")
    stubber.add_client_error("send_messages", service_error_code=code)

    with pytest.raises(error):
        send(PinpointPushSender(client, APP), IOS)


# --- SNS mobile push (moto implements platform applications and endpoints) ----------------


def sns_push(client: Any) -> tuple[SnsPushSender, Any]:
    sns = client("sns")
    apps = {
        "ios": sns.create_platform_application(
            Name="engage-ios", Platform="APNS", Attributes={"PlatformCredential": "k"}
        )["PlatformApplicationArn"],
        "android": sns.create_platform_application(
            Name="engage-android", Platform="GCM", Attributes={"PlatformCredential": "k"}
        )["PlatformApplicationArn"],
    }
    return SnsPushSender(sns, apps), sns


def endpoint_messages() -> list[Any]:
    backend = get_backend("sns")[ACCOUNT][REGION]
    return [m for e in backend.platform_endpoints.values() for m in e.messages.values()]


def test_given_sns_platform_apps_when_pushed_then_each_token_gets_one_message_per_service(client):
    sender, _ = sns_push(client)

    result = send(sender, IOS, ANDROID, WEB)  # no web application configured: skipped

    assert len(result.delivered) == 2
    messages = [json.loads(m) for m in endpoint_messages()]
    assert len(messages) == 2
    for message in messages:
        assert json.loads(message["GCM"])["notification"] == {"title": "Hi", "body": "Spins await"}
        assert json.loads(message["APNS"])["aps"]["alert"]["body"] == "Spins await"
        assert json.loads(message["APNS"])["outbox"] == "o-1"


def test_given_a_disabled_sns_endpoint_when_pushed_then_the_token_is_dead(client):
    sender, sns = sns_push(client)
    send(sender, IOS)
    (endpoint_arn,) = get_backend("sns")[ACCOUNT][REGION].platform_endpoints
    sns.set_endpoint_attributes(EndpointArn=endpoint_arn, Attributes={"Enabled": "false"})

    result = send(sender, IOS)

    assert (result.delivered, result.dead_tokens) == ([], [IOS.token])


def test_platform_applications_are_read_from_their_setting():
    from shared.adapters.push import parse_platform_applications

    assert parse_platform_applications("ios=arn:aws:sns:eu-west-1:1:app/APNS/x, android=arn:a") == {
        "ios": "arn:aws:sns:eu-west-1:1:app/APNS/x",
        "android": "arn:a",
    }


@pytest.mark.parametrize("bad", ["ios", "watch=arn:x", "ios=not-an-arn"])
def test_a_malformed_platform_application_setting_is_refused(bad):
    from shared.adapters.push import parse_platform_applications

    with pytest.raises(ValueError, match="platform application ARN"):
        parse_platform_applications(bad)
