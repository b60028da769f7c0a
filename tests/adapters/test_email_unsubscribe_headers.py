"""Marketing email carries List-Unsubscribe headers (SES v2 Simple content `Headers`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.email_ses import SesEmailSender
from shared.domain.core.state import OutboxItem, SendMessage
from shared.domain.players.unsubscribe import TokenSigner
from shared.services.deliverers import (
    EmailDeliverer,
    PermanentDeliveryError,
    Rendered,
    SignedUnsubscribeLinks,
)
from tests.adapters.conftest import CONFIGURATION_SET, FROM_ADDRESS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BASE = "https://unsub.example/unsubscribe"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, to, subject, text, html, tags, headers=None) -> str:
        self.calls.append({"text": text, "html": html, "tags": tags, "headers": headers})
        return "m-1"


def item(category: str, player: str = "p-1") -> tuple[OutboxItem, SendMessage]:
    effect = SendMessage(
        template="promo",
        channel="email",
        category=category,
        locale="en",
        to="a@example.org",
        vars={},
    )
    outbox = OutboxItem(
        outbox_id="o-1",
        player_id=player,
        rule_id="r-1",
        event_id="e-1",
        created_at=NOW,
        effect=effect,
    )
    return outbox, effect


def deliverer(port: Recorder, links: bool = True) -> EmailDeliverer:
    signer = TokenSigner(b"k" * 32)
    return EmailDeliverer(port, SignedUnsubscribeLinks(BASE, signer) if links else None)


def test_given_a_marketing_email_then_it_gets_the_footer_and_one_click_headers():
    port = Recorder()
    outbox, effect = item("marketing")

    deliverer(port).deliver(outbox, effect, Rendered("S", "Hi", "<p>Hi</p>"), NOW)

    (call,) = port.calls
    url = call["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith(BASE + "?t=")
    assert call["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in call["text"]
    assert "Unsubscribe</a>" in call["html"]
    assert TokenSigner(b"k" * 32).verify(url.split("t=", 1)[1], NOW).player_id == "p-1"


def test_given_a_service_email_then_no_footer_and_no_headers():
    port = Recorder()
    outbox, effect = item("service")

    deliverer(port).deliver(outbox, effect, Rendered("S", "Hi", None), NOW)

    assert port.calls[0]["headers"] is None
    assert port.calls[0]["text"] == "Hi"


def test_given_no_unsubscribe_links_configured_then_marketing_is_refused_not_sent():
    port = Recorder()
    outbox, effect = item("marketing")

    with pytest.raises(PermanentDeliveryError, match="unsubscribe"):
        deliverer(port, links=False).deliver(outbox, effect, Rendered("S", "Hi", None), NOW)
    assert port.calls == []


def test_given_a_player_id_ses_cannot_tag_then_it_is_tagged_reversibly():
    port = Recorder()
    outbox, effect = item("service", player="tenant:p.1")

    deliverer(port).deliver(outbox, effect, Rendered("S", "Hi", None), NOW)

    assert port.calls[0]["tags"]["player"] == "tenant_3ap_2e1"


def test_given_headers_then_ses_receives_them_in_the_simple_content(stubbed):
    client, stubber = stubbed("sesv2")
    sender = SesEmailSender(client, FROM_ADDRESS, CONFIGURATION_SET)
    headers = {"List-Unsubscribe": "<https://u.example/x>", "List-Unsubscribe-Post": "a=b"}
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        {
            "FromEmailAddress": FROM_ADDRESS,
            "Destination": {"ToAddresses": ["a@example.org"]},
            "ConfigurationSetName": CONFIGURATION_SET,
            "Content": {
                "Simple": {
                    "Subject": {"Data": "S", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "T", "Charset": "UTF-8"}},
                    "Headers": [
                        {"Name": "List-Unsubscribe", "Value": "<https://u.example/x>"},
                        {"Name": "List-Unsubscribe-Post", "Value": "a=b"},
                    ],
                }
            },
            "EmailTags": [{"Name": "rule", "Value": "r1"}],
        },
    )

    assert sender.send("a@example.org", "S", "T", None, {"rule": "r1"}, headers=headers) == "m-1"
    stubber.assert_no_pending_responses()
