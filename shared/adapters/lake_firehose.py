"""Lake rows into Kinesis Data Firehose (which converts them to Parquet in S3), and the
Firehose transformation that turns bus events into `events` rows.

Firehose takes JSON records; its record-format conversion maps them onto the Glue table's
columns (built from `shared.domain.outputs.lake.COLUMNS`) and partitions them by the `dt` field.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.domain.outputs.lake import LakeKind, LakeRow, event_row, record

MAX_BATCH = 500  # PutRecordBatch takes at most 500 records
ATTEMPTS = 3


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        # java.sql.Timestamp's format, which Firehose's JSON deserializer parses by default.
        return value.isoformat(sep=" ")
    raise TypeError(f"not a lake value: {type(value).__name__}")


def row_json(row: LakeRow) -> bytes:
    return (json.dumps(record(row), default=_default) + "\n").encode()


class FirehoseLake:
    """Puts rows on the delivery stream of their kind; raises if some never get in."""

    def __init__(self, streams: Mapping[LakeKind, str], client: Any) -> None:
        self._streams = dict(streams)
        self._firehose = client

    def put(self, rows: Sequence[LakeRow]) -> int:
        for kind, name in self._streams.items():
            data = [row_json(r) for r in rows if r.kind == kind]
            for start in range(0, len(data), MAX_BATCH):
                self._put_batch(name, data[start : start + MAX_BATCH])
        return len(rows)

    def _put_batch(self, stream: str, data: list[bytes]) -> None:
        pending = data
        for _ in range(ATTEMPTS):
            resp = self._firehose.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": d} for d in pending]
            )
            if not resp.get("FailedPutCount"):
                return
            pending = [
                d
                for d, result in zip(pending, resp["RequestResponses"], strict=True)
                if result.get("ErrorCode")
            ]
        # The stream batch is retried by Lambda; rows already in are deduplicated by the
        # reports (every query counts DISTINCT ids).
        raise RuntimeError(f"{len(pending)} lake rows not accepted by {stream}")


def transform_records(event: Mapping[str, Any]) -> dict[str, Any]:
    """Firehose data transformation: bus envelope -> `events` row JSON, partitioned by `dt`."""
    out = []
    for rec in event.get("records", []):
        envelope = json.loads(base64.b64decode(rec["data"]))
        try:
            row = event_row(envelope)
        except (KeyError, ValueError, TypeError):
            # Not a contract event (the engine refuses it too): Firehose keeps it out of the
            # table, in its processing-failed error prefix, without its detail.
            out.append({"recordId": rec["recordId"], "result": "ProcessingFailed", "data": ""})
            continue
        out.append(
            {
                "recordId": rec["recordId"],
                "result": "Ok",
                "data": base64.b64encode(row_json(row)).decode(),
                "metadata": {"partitionKeys": {"dt": record(row)["dt"]}},
            }
        )
    return {"records": out}
