"""SES feedback -> engage.message.* events: each SES event type, tags, idempotent ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.models import FEEDBACK_SOURCE, parse_event
from shared.domain.players.feedback import Skipped, Translated, decode_tag, encode_tag, translate
from shared.local.ses_feedback import ses_event

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def ses(kind: str, **overrides):
    args = {
        "message_id": "0102-abc-000000",
        "player_id": "p-1001",
        "outbox_id": "3f9c2a7d41be6e08",
        "template": "deposit-nudge",
        "at": AT,
    }
    return ses_event(kind, **{**args, **overrides})


@pytest.mark.parametrize(
    ("kind", "detail_type"),
    [
        ("delivery", "engage.message.delivered"),
        ("open", "engage.message.opened"),
        ("click", "engage.message.clicked"),
        ("bounce", "engage.message.bounced"),
        ("complaint", "engage.message.complained"),
    ],
)
def test_given_each_ses_event_type_then_our_event_passes_the_contract(kind, detail_type):
    result = translate(ses(kind))

    assert isinstance(result, Translated)
    assert (result.source, result.detail_type) == (FEEDBACK_SOURCE, detail_type)
    envelope = {"source": result.source, "detail-type": result.detail_type, "detail": result.detail}
    event = parse_event(envelope)
    assert event.player_id == "p-1001"
    assert event.occurred_at == AT
    assert result.detail["outbox_id"] == "3f9c2a7d41be6e08"
    assert result.detail["template"] == "deposit-nudge"


@pytest.mark.parametrize(
    ("ses_type", "ours"),
    [("Permanent", "permanent"), ("Transient", "transient"), ("Undetermined", "transient")],
)
def test_given_a_bounce_then_only_a_permanent_one_is_permanent(ses_type, ours):
    envelope = ses("bounce")
    envelope["detail"]["bounce"]["bounceType"] = ses_type

    result = translate(envelope)

    assert isinstance(result, Translated)
    assert result.detail["bounce_type"] == ours


def test_given_a_click_then_the_link_loses_its_query_string():
    result = translate(ses("click", link="https://casino.example/promo?email=a@b.c#x"))

    assert isinstance(result, Translated)
    assert result.detail["link"] == "https://casino.example/promo"


def test_given_the_same_ses_event_twice_then_the_same_event_id():
    first, second = translate(ses("open")), translate(ses("open"))

    assert isinstance(first, Translated)
    assert isinstance(second, Translated)
    assert first.detail["event_id"] == second.detail["event_id"] == "ses:0102-abc-000000:open"


def test_given_clicks_on_two_links_then_two_event_ids():
    a = translate(ses("click", link="https://casino.example/a"))
    b = translate(ses("click", link="https://casino.example/b"))

    assert isinstance(a, Translated)
    assert isinstance(b, Translated)
    assert a.detail["event_id"] != b.detail["event_id"]


def test_given_a_player_id_with_dots_and_colons_then_the_tag_round_trips():
    assert encode_tag("tenant:p.1_0") == "tenant_3ap_2e1_5f0"
    assert decode_tag(encode_tag("tenant:p.1_0") or "") == "tenant:p.1_0"
    result = translate(ses("open", player_id="tenant:p.1_0"))

    assert isinstance(result, Translated)
    assert result.detail["player_id"] == "tenant:p.1_0"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e["detail"]["mail"].pop("tags"), "not our message"),
        (lambda e: e["detail"]["mail"]["tags"].pop("player"), "not our message"),
        (lambda e: e["detail"]["mail"]["tags"].pop("outbox"), "not our message"),
        (lambda e: e.update(source="casino.example"), "not from SES"),
        (lambda e: e["detail"].update(eventType="Send"), "is not translated"),
        (lambda e: e["detail"]["mail"].pop("messageId"), "no mail.messageId"),
        (lambda e: e["detail"]["mail"]["tags"].update(template=["Bad Template!"]), "contract"),
    ],
    ids=["no-tags", "no-player", "no-outbox", "not-ses", "send-event", "no-id", "bad-tag"],
)
def test_given_an_event_that_is_not_ours_then_it_is_skipped_with_a_reason(mutate, reason):
    envelope = ses("bounce")
    mutate(envelope)

    result = translate(envelope)

    assert isinstance(result, Skipped)
    assert reason in result.reason
    assert "@" not in result.reason  # never an address
