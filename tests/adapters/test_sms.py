"""SMS senders: End User Messaging (Stubber: moto lacks SendTextMessage) and SNS (moto)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from shared.adapters.sms import EumSmsSender, PermanentSmsError, SnsSmsSender
from shared.errors import ThrottledError
from tests.adapters.conftest import ACCOUNT, REGION

TO = "+447700900123"
TEXT = "Olena, your 10 free spins are waiting."
IDENTITY = "phone-0123456789abcdef"
CONTEXT = {"player": "p-1", "outbox": "o-1", "rule": "welcome"}


def eum_request(marketing: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": TO,
        "OriginationIdentity": IDENTITY,
        "MessageBody": TEXT,
        "MessageType": "PROMOTIONAL" if marketing else "TRANSACTIONAL",
        "Context": CONTEXT,
        **extra,
    }


# --- End User Messaging SMS (Stubber checks requests against the real API model) ----------


def test_given_a_service_text_when_sent_through_eum_then_it_is_transactional_with_context(
    stubbed,
):
    client, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_response("send_text_message", {"MessageId": "m-1"}, eum_request())

    assert EumSmsSender(client, IDENTITY).send(TO, TEXT, False, CONTEXT) == "m-1"
    stubber.assert_no_pending_responses()


def test_given_marketing_and_a_configuration_set_when_sent_then_promotional_through_the_set(
    stubbed,
):
    client, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_response(
        "send_text_message",
        {"MessageId": "m-2"},
        eum_request(marketing=True, ConfigurationSetName="engage-sms"),
    )

    sender = EumSmsSender(client, IDENTITY, configuration_set="engage-sms")
    assert sender.send(TO, TEXT, True, CONTEXT) == "m-2"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT"),
        ("ValidationException", "CANNOT_PARSE"),
        ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"),
        ("AccessDeniedException", "ACCOUNT_DISABLED"),
        ("ServiceQuotaExceededException", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
    ],
)
def test_given_a_refusal_a_retry_cannot_fix_when_sent_then_it_is_permanent(stubbed, code, reason):
    client, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_client_error(
        "send_text_message",
        service_error_code=code,
        service_message="anything: the message text is never read",
        modeled_fields={"Reason": reason},
    )

    with pytest.raises(PermanentSmsError, match=reason) as caught:
        EumSmsSender(client, IDENTITY).send(TO, TEXT, False, CONTEXT)
    assert TO not in str(caught.value)


def test_given_throttling_when_sent_through_eum_then_it_is_throttled_for_a_retry(stubbed):
    client, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_client_error("send_text_message", service_error_code="ThrottlingException")

    with pytest.raises(ThrottledError):
        EumSmsSender(client, IDENTITY).send(TO, TEXT, False, CONTEXT)


def test_given_an_iam_denial_when_sent_then_it_stays_loud_not_a_silent_permanent_failure(
    stubbed,
):
    client, stubber = stubbed("pinpoint-sms-voice-v2")
    stubber.add_client_error("send_text_message", service_error_code="AccessDeniedException")

    with pytest.raises(ClientError) as caught:
        EumSmsSender(client, IDENTITY).send(TO, TEXT, False, CONTEXT)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


# --- SNS ----------------------------------------------------------------------------------


def sms_sent() -> dict[str, tuple[str, str]]:
    return dict(get_backend("sns")[ACCOUNT][REGION].sms_messages)


def test_given_sns_when_a_text_is_sent_then_moto_records_it_for_that_number(client):
    message_id = SnsSmsSender(client("sns")).send(TO, TEXT, False, CONTEXT)

    assert sms_sent() == {message_id: (TO, TEXT)}


def sns_request(sms_type: str, **attributes: Any) -> dict[str, Any]:
    return {
        "PhoneNumber": TO,
        "Message": TEXT,
        "MessageAttributes": {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": sms_type},
            **{k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        },
    }


@pytest.mark.parametrize(
    ("marketing", "identity", "expected"),
    [
        (False, None, sns_request("Transactional")),
        (True, "Casino", sns_request("Promotional", **{"AWS.SNS.SMS.SenderID": "Casino"})),
        (
            False,
            "+447700900001",
            sns_request("Transactional", **{"AWS.MM.SMS.OriginationNumber": "+447700900001"}),
        ),
    ],
)
def test_given_sns_when_sending_then_the_sms_type_and_origination_are_set(
    stubbed, marketing, identity, expected
):
    sns, stubber = stubbed("sns")
    stubber.add_response("publish", {"MessageId": "s-1"}, expected)

    assert SnsSmsSender(sns, identity).send(TO, TEXT, marketing, CONTEXT) == "s-1"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("InvalidParameter", PermanentSmsError),
        ("ParameterValueInvalid", PermanentSmsError),
        ("Throttling", ThrottledError),
    ],
)
def test_given_an_sns_error_when_sending_then_it_maps_by_code(stubbed, code, error):
    sns, stubber = stubbed("sns")
    stubber.add_client_error("publish", service_error_code=code)

    with pytest.raises(error):
        SnsSmsSender(sns).send(TO, TEXT, False, CONTEXT)
