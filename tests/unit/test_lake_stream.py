"""Stream records and Firehose records become lake rows; nothing else does."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from shared.adapters.lake_firehose import FirehoseLake, transform_records
from shared.adapters.lake_stream import rows_from_record
from shared.domain.core.state import OutboxItem, SendMessage
from shared.domain.outputs.lake import DecisionRow, DeliveryRow

AT = datetime(2026, 11, 27, 10, tzinfo=UTC)
ITEM = OutboxItem(
    outbox_id="o1",
    player_id="p-1",
    event_id="e1",
    rule_id="welcome",
    created_at=AT,
    effect=SendMessage(
        template="welcome",
        channel="email",
        category="service",
        locale="en",
        to="anna@example.org",
        vars={},
    ),
)


def _outbox(event_name: str, status: str) -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {
            "ApproximateCreationDateTime": AT.timestamp() + 5,
            "NewImage": {
                "pk": {"S": "PLAYER#p-1"},
                "sk": {"S": "OUTBOX#o1"},
                "item": {"S": ITEM.model_dump_json()},
                "status": {"S": status},
            },
        },
    }


def test_an_outbox_insert_is_a_queued_send():
    (row,) = rows_from_record(_outbox("INSERT", "pending"))

    assert isinstance(row, DecisionRow)
    assert (row.action, row.channel) == ("send", "email")


def test_dispatch_marking_an_outbox_item_done_is_a_delivery_at_the_marking_time():
    (row,) = rows_from_record(_outbox("MODIFY", "done"))

    assert isinstance(row, DeliveryRow)
    assert row.status == "done"
    assert row.occurred_at == datetime(2026, 11, 27, 10, 0, 5)


def test_the_state_item_is_no_lake_row():
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": {"sk": {"S": "STATE"}}}}

    assert rows_from_record(record) == []


def _firehose_event(*details: dict[str, Any]) -> dict[str, Any]:
    return {
        "records": [
            {
                "recordId": str(i),
                "data": base64.b64encode(json.dumps(d).encode()).decode(),
            }
            for i, d in enumerate(details)
        ]
    }


def test_the_firehose_transform_returns_a_scrubbed_row_with_its_day_as_partition_key():
    envelope = {
        "source": "casino.example",
        "detail-type": "player.registered",
        "detail": {
            "player_id": "p-1",
            "event_id": "r1",
            "occurred_at": "2026-11-27T10:00:00Z",
            "email": "anna@example.org",
        },
    }

    (out,) = transform_records(_firehose_event(envelope))["records"]
    row = json.loads(base64.b64decode(out["data"]))

    assert out["result"] == "Ok"
    assert out["metadata"] == {"partitionKeys": {"dt": "2026-11-27"}}
    assert "anna@" not in json.dumps(row)
    assert row["occurred_at"] == "2026-11-27 10:00:00"


def test_the_firehose_transform_fails_a_record_that_is_no_contract_event():
    (out,) = transform_records(_firehose_event({"detail-type": "x", "detail": {}}))["records"]

    assert out["result"] == "ProcessingFailed"


class FakeFirehose:
    def __init__(self, fail_first: int = 0) -> None:
        self.batches: list[tuple[str, int]] = []
        self._fail = fail_first

    def put_record_batch(self, DeliveryStreamName, Records):
        self.batches.append((DeliveryStreamName, len(Records)))
        failed, self._fail = min(self._fail, len(Records)), 0
        return {
            "FailedPutCount": failed,
            "RequestResponses": [{"ErrorCode": "x"}] * failed + [{}] * (len(Records) - failed),
        }


def test_rows_go_to_the_stream_of_their_kind_and_failed_records_are_put_again():
    fake = FakeFirehose(fail_first=1)
    lake = FirehoseLake({"decisions": "dec", "deliveries": "del"}, fake)

    lake.put(
        rows_from_record(_outbox("INSERT", "pending")) + rows_from_record(_outbox("MODIFY", "done"))
    )

    assert fake.batches == [("dec", 1), ("dec", 1), ("del", 1)]
