"""SesEmailSender: SES v2 simple email through a configuration set, tagged for its events."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from shared.adapters.email_ses import PermanentSendError, SesEmailSender
from shared.errors import ThrottledError
from tests.adapters.conftest import ACCOUNT, CONFIGURATION_SET, FROM_ADDRESS, REGION

TO = "olena@example.com"
SUBJECT = "Welcome, Olena!"
TEXT = "Hi Olena, your account is ready."
HTML = "<p>Hi Olena, your account is ready.</p>"
TAGS = {"template": "welcome", "rule": "welcome-email", "category": "service"}


def sent_messages() -> list[Any]:
    return list(get_backend("ses")[ACCOUNT][REGION].sent_messages)


def stubbed_sender(stubbed: Any) -> tuple[SesEmailSender, Any]:
    client, stubber = stubbed("sesv2")
    return SesEmailSender(client, FROM_ADDRESS, CONFIGURATION_SET), stubber


def expected_request(body: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "FromEmailAddress": FROM_ADDRESS,
        "Destination": {"ToAddresses": [TO]},
        "ConfigurationSetName": CONFIGURATION_SET,
        "Content": {"Simple": {"Subject": {"Data": SUBJECT, "Charset": "UTF-8"}, "Body": body}},
        "EmailTags": tags,
    }


# --- against moto -----------------------------------------------------------------------


def test_given_a_verified_sender_when_sending_then_ses_accepts_it_and_returns_its_id(email):
    message_id = email.send(TO, SUBJECT, TEXT, HTML, TAGS)

    (message,) = sent_messages()
    assert message_id == message.id
    assert message.source == FROM_ADDRESS
    assert message.destinations == {"ToAddresses": [TO]}
    assert message.subject == SUBJECT


def test_given_html_when_sending_then_ses_receives_the_html_part(email):
    email.send(TO, SUBJECT, TEXT, HTML, TAGS)

    # moto keeps only one body part: the HTML one when there is one.
    assert [m.body for m in sent_messages()] == [HTML]


def test_given_no_html_when_sending_then_ses_receives_the_text_part(email):
    email.send(TO, SUBJECT, TEXT, None, TAGS)

    assert [m.body for m in sent_messages()] == [TEXT]


def test_given_an_unverified_sender_when_sending_then_permanent_send_error(sesv2):
    sender = SesEmailSender(sesv2, "someone@unverified.example.org", CONFIGURATION_SET)

    with pytest.raises(PermanentSendError, match="MessageRejected"):
        sender.send(TO, SUBJECT, TEXT, None, TAGS)

    assert sent_messages() == []


# --- the exact request (Stubber checks it against the SES v2 model) ----------------------


def test_given_text_and_html_when_sending_then_the_request_has_both_parts_the_set_and_tags(
    stubbed,
):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        expected_request(
            {
                "Text": {"Data": TEXT, "Charset": "UTF-8"},
                "Html": {"Data": HTML, "Charset": "UTF-8"},
            },
            [
                {"Name": "category", "Value": "service"},
                {"Name": "rule", "Value": "welcome-email"},
                {"Name": "template", "Value": "welcome"},
            ],
        ),
    )

    assert sender.send(TO, SUBJECT, TEXT, HTML, TAGS) == "m-1"
    stubber.assert_no_pending_responses()


def test_given_no_html_when_sending_then_the_request_has_only_a_text_part(stubbed):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        expected_request(
            {"Text": {"Data": TEXT, "Charset": "UTF-8"}}, [{"Name": "rule", "Value": "r1"}]
        ),
    )

    sender.send(TO, SUBJECT, TEXT, None, {"rule": "r1"})

    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("deposit.points v2!", "deposit_points_v2_"),
        ("Привіт", "______"),
        ("", "none"),
        ("x" * 300, "x" * 256),
    ],
    ids=["punctuation", "non-ascii", "empty", "too-long"],
)
def test_given_unsafe_tag_values_when_sending_then_they_are_made_valid_for_ses(
    stubbed, value, sent
):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        expected_request(
            {"Text": {"Data": TEXT, "Charset": "UTF-8"}}, [{"Name": "rule", "Value": sent}]
        ),
    )

    sender.send(TO, SUBJECT, TEXT, None, {"rule": value})

    stubber.assert_no_pending_responses()


# --- error translation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]
)
def test_given_ses_asks_to_slow_down_when_sending_then_throttled_error(stubbed, code):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_client_error("send_email", code, http_status_code=429)

    with pytest.raises(ThrottledError):
        sender.send(TO, SUBJECT, TEXT, None, TAGS)


@pytest.mark.parametrize(
    "code", ["MessageRejected", "BadRequestException", "AccountSuspendedException"]
)
def test_given_ses_refuses_the_message_when_sending_then_permanent_send_error(stubbed, code):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_client_error("send_email", code, http_status_code=400)

    with pytest.raises(PermanentSendError, match=code):
        sender.send(TO, SUBJECT, TEXT, None, TAGS)


def test_given_an_unexpected_ses_error_when_sending_then_it_is_not_disguised(stubbed):
    sender, stubber = stubbed_sender(stubbed)
    stubber.add_client_error("send_email", "NotFoundException", http_status_code=404)

    with pytest.raises(ClientError) as raised:
        sender.send(TO, SUBJECT, TEXT, None, TAGS)

    assert raised.value.response["Error"]["Code"] == "NotFoundException"
