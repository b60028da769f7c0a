"""SqsDeadLetters against moto SQS: the refused event is kept whole, with why."""

from __future__ import annotations

from typing import Any

from shared.adapters.dead_letters import MAX_REASON

# Odd spacing, a CRLF ending, non-ASCII text and an inexact-looking number: nothing may be
# reformatted or re-encoded on the way to the queue.
BODY = (
    '{ "detail-type" : "wallet.deposit_succeeded",\n'
    '  "detail": {"amount": 10.10, "note": "ünïcödé ✓"} }\r\n'
)


def receive_one(sqs: Any, url: str) -> dict[str, Any]:
    resp = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)
    (message,) = resp["Messages"]
    return dict(message)


def attribute(message: dict[str, Any], name: str) -> str:
    return str(message["MessageAttributes"][name]["StringValue"])


def test_given_a_refused_event_when_parked_then_its_body_is_kept_byte_for_byte(
    dead_letters, sqs, dlq_url
):
    dead_letters.send(BODY, "detail.amount: must be > 0", "msg-1")

    message = receive_one(sqs, dlq_url)

    assert message["Body"].encode() == BODY.encode()


def test_given_a_refused_event_when_parked_then_it_carries_the_reason_and_source_message_id(
    dead_letters, sqs, dlq_url
):
    dead_letters.send(BODY, "detail.amount: must be > 0", "msg-1")

    message = receive_one(sqs, dlq_url)

    assert attribute(message, "reason") == "detail.amount: must be > 0"
    assert attribute(message, "source_message_id") == "msg-1"
    assert attribute(message, "refused_by") == "engine"


def test_given_a_very_long_reason_when_parked_then_the_reason_is_cut_to_1000_chars(
    dead_letters, sqs, dlq_url
):
    reason = "detail.amount: " + "x" * 5000

    dead_letters.send(BODY, reason, "msg-1")

    stored = attribute(receive_one(sqs, dlq_url), "reason")
    assert MAX_REASON == 1000
    assert stored == reason[:1000]


def test_given_an_empty_reason_when_parked_then_the_reason_says_unknown(dead_letters, sqs, dlq_url):
    # SQS refuses an empty string attribute; the event must still be parked.
    dead_letters.send(BODY, "", "msg-1")

    assert attribute(receive_one(sqs, dlq_url), "reason") == "unknown"
