"""SMS and push deliverers (with fake senders), settings and which channels the wiring builds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from shared.adapters.push import PermanentPushError, PushResult, PushTarget
from shared.adapters.sms import PermanentSmsError
from shared.domain.core.state import OutboxItem, PlayerState, SendMessage
from shared.domain.players.profile import Device, Profile
from shared.services.deliverers import PermanentDeliveryError, Rendered
from shared.services.deliverers_mobile import (
    SMS_MAX_CHARS,
    PushDeliverer,
    SmsDeliverer,
    TransientDeliveryError,
    fit_sms,
)
from shared.settings import ENV, DispatchSettings, SettingsError, dispatch_settings
from shared.wiring import AwsClients, mobile_deliverers
from tests.builders import PLAYER, at

PHONE = "+447700900123"
IOS, ANDROID = "a" * 64, "fcm:android"
RENDERED = Rendered(subject="Hi Anna", text="Your spins are waiting.", html=None)


def effect(channel: str, *, to: str | None = None, devices: Sequence[str] = ()) -> SendMessage:
    return SendMessage(
        template="promo",
        channel=channel,
        category="marketing",
        locale="en",
        to=to,
        vars={},
        devices=list(devices),
    )


def item(send: SendMessage) -> OutboxItem:
    return OutboxItem(
        outbox_id="o-1",
        player_id=PLAYER,
        event_id="e-1",
        rule_id="promo-rule",
        created_at=at(),
        effect=send,
    )


class FakeSms:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[tuple[str, str, bool, dict[str, str]]] = []
        self._error = error

    def send(self, to: str, text: str, marketing: bool, context: Mapping[str, str]) -> str:
        if self._error:
            raise self._error
        self.sent.append((to, text, marketing, dict(context)))
        return "sms-1"


class FakePush:
    def __init__(self, result: PushResult | None = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[list[PushTarget], str, str, dict[str, str]]] = []
        self._result = result or PushResult(delivered=["m-1"])
        self._error = error

    def send(
        self,
        targets: Sequence[PushTarget],
        title: str,
        body: str,
        data: Mapping[str, str],
        trace_id: str,
    ) -> PushResult:
        if self._error:
            raise self._error
        self.calls.append((list(targets), title, body, dict(data)))
        return self._result


class Players:
    def __init__(self, *devices: tuple[str, str]) -> None:
        self._state = PlayerState(
            profile=Profile(
                player_id=PLAYER,
                devices=[Device(token=t, platform=p, registered_at=at()) for t, p in devices],
            )
        )

    def state(self, player_id: str) -> PlayerState | None:
        return self._state if player_id == PLAYER else None


# --- SMS ----------------------------------------------------------------------------------


def test_given_a_phone_when_an_sms_is_delivered_then_the_text_goes_without_subject_as_marketing():
    sms = FakeSms()
    send = effect("sms", to=PHONE)

    result = SmsDeliverer(sms).deliver(item(send), send, RENDERED, at())

    assert sms.sent == [
        (PHONE, RENDERED.text, True, {"player": PLAYER, "outbox": "o-1", "rule": "promo-rule"})
    ]
    assert result == "sent as sms-1"
    assert PHONE not in result


def test_given_a_long_text_when_an_sms_is_delivered_then_it_is_cut_with_an_ellipsis_and_says_so():
    sms = FakeSms()
    send = effect("sms", to=PHONE)
    long = Rendered(subject="", text="word " * 300, html=None)

    result = SmsDeliverer(sms).deliver(item(send), send, long, at())

    text = sms.sent[0][1]
    assert len(text) <= SMS_MAX_CHARS
    assert text.endswith("…")
    assert "cut to 640" in result


def test_given_a_text_at_the_limit_when_fitted_then_it_is_left_whole():
    assert fit_sms("x" * SMS_MAX_CHARS) == ("x" * SMS_MAX_CHARS, False)


def test_given_no_phone_when_an_sms_is_delivered_then_it_is_refused_for_good():
    send = effect("sms")

    with pytest.raises(PermanentDeliveryError, match="no phone"):
        SmsDeliverer(FakeSms()).deliver(item(send), send, RENDERED, at())


def test_given_an_opted_out_number_when_delivered_then_the_refusal_is_permanent():
    send = effect("sms", to=PHONE)
    sms = FakeSms(PermanentSmsError("ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT"))

    with pytest.raises(PermanentDeliveryError, match="OPTED_OUT"):
        SmsDeliverer(sms).deliver(item(send), send, RENDERED, at())


# --- push ---------------------------------------------------------------------------------


def test_given_registered_devices_when_a_push_is_delivered_then_title_is_subject_body_is_text():
    push = FakePush(PushResult(delivered=["m-1", "m-2"]))
    send = effect("push", devices=[IOS, ANDROID])

    result = PushDeliverer(push, Players((IOS, "ios"), (ANDROID, "android"))).deliver(
        item(send), send, RENDERED, at()
    )

    ((targets, title, body, data),) = push.calls
    assert targets == [PushTarget(IOS, "ios"), PushTarget(ANDROID, "android")]
    assert (title, body) == ("Hi Anna", RENDERED.text)
    assert data == {"outbox": "o-1", "template": "promo"}
    assert result == "sent to 2 of 2 devices as m-1, m-2"
    assert IOS not in result


def test_given_a_device_removed_after_the_decision_when_pushed_then_it_is_skipped():
    push = FakePush()
    send = effect("push", devices=[IOS, ANDROID])

    PushDeliverer(push, Players((ANDROID, "android"))).deliver(item(send), send, RENDERED, at())

    assert push.calls[0][0] == [PushTarget(ANDROID, "android")]


@pytest.mark.parametrize(
    ("devices", "players", "reason"),
    [
        ([], Players((IOS, "ios")), "no device"),
        ([IOS], Players(), "removed before sending"),
    ],
)
def test_given_nothing_to_push_to_when_delivered_then_it_is_refused_for_good(
    devices, players, reason
):
    send = effect("push", devices=devices)

    with pytest.raises(PermanentDeliveryError, match=reason):
        PushDeliverer(FakePush(), players).deliver(item(send), send, RENDERED, at())


def test_given_every_token_dead_when_pushed_then_it_is_refused_for_good_without_tokens_in_it():
    push = FakePush(PushResult(dead_tokens=[IOS, ANDROID]))
    send = effect("push", devices=[IOS, ANDROID])

    with pytest.raises(PermanentDeliveryError) as caught:
        PushDeliverer(push, Players((IOS, "ios"), (ANDROID, "android"))).deliver(
            item(send), send, RENDERED, at()
        )
    assert IOS not in str(caught.value)


def test_given_only_temporary_failures_when_pushed_then_it_raises_so_the_record_is_retried():
    push = FakePush(PushResult(retry_tokens=[IOS]))
    send = effect("push", devices=[IOS])

    with pytest.raises(TransientDeliveryError):
        PushDeliverer(push, Players((IOS, "ios"))).deliver(item(send), send, RENDERED, at())


def test_given_one_device_reached_and_one_failing_temporarily_when_pushed_then_no_retry():
    # A retry would push a second time to the device that already got it.
    push = FakePush(PushResult(delivered=["m-1"], dead_tokens=[], retry_tokens=[ANDROID]))
    send = effect("push", devices=[IOS, ANDROID])

    result = PushDeliverer(push, Players((IOS, "ios"), (ANDROID, "android"))).deliver(
        item(send), send, RENDERED, at()
    )

    assert result == "sent to 1 of 2 devices; 1 not reached (not retried) as m-1"


def test_given_a_bad_request_when_pushed_then_the_refusal_is_permanent():
    send = effect("push", devices=[IOS])
    push = FakePush(error=PermanentPushError("BadRequestException"))

    with pytest.raises(PermanentDeliveryError, match="BadRequest"):
        PushDeliverer(push, Players((IOS, "ios"))).deliver(item(send), send, RENDERED, at())


# --- settings and wiring ------------------------------------------------------------------


def required_settings() -> dict[str, str]:
    # Other channels' settings are not under test here: each required one gets a placeholder.
    return {
        name: _placeholder(name)
        for name, field in DispatchSettings.model_fields.items()
        if field.is_required()
    }


def _placeholder(name: str) -> str:
    if name == "email_from":
        return "noreply@example.com"
    if name.endswith("_url"):
        return "https://engage.example/x"
    if name.endswith("_arn"):
        return f"arn:aws:sns:eu-west-1:123456789012:{name}"
    return f"{name}-value"


def settings(**mobile: str) -> DispatchSettings:
    return DispatchSettings.model_validate({**required_settings(), **mobile})


def environment(**mobile: str) -> dict[str, str]:
    return {ENV[name]: value for name, value in {**required_settings(), **mobile}.items()}


@pytest.mark.parametrize(
    ("mobile", "channels"),
    [
        ({}, set()),
        ({"sms_provider": ""}, set()),
        ({"sms_provider": "sns"}, {"sms"}),
        ({"sms_provider": "eum", "sms_origination_identity": "phone-1"}, {"sms"}),
        ({"push_application_id": "abc123"}, {"push"}),
        (
            {"sms_provider": "sns", "push_application_id": "abc123"},
            {"sms", "push"},
        ),
    ],
)
def test_given_mobile_settings_when_wired_then_only_configured_channels_get_a_deliverer(
    mobile, channels
):
    clients = AwsClients(region="eu-west-1")

    built = mobile_deliverers(settings(**mobile), clients, Players())

    assert set(built) == channels


def test_given_eum_without_an_origination_identity_when_loaded_then_the_setting_is_refused():
    with pytest.raises(SettingsError) as caught:
        dispatch_settings(environment(sms_provider="eum"))
    assert "sms_origination_identity is required" in str(caught.value.__cause__)


def test_given_an_unknown_sms_provider_when_loaded_then_it_names_the_env_var():
    with pytest.raises(SettingsError, match=ENV["sms_provider"]):
        dispatch_settings(environment(sms_provider="twilio"))
