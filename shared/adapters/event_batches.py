"""PutEvents in batches of 10 (the API's limit), retrying only the entries that failed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.publisher import PublishError, _translate

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

BATCH = 10
ATTEMPTS = 4


class BatchPublisher:
    def __init__(
        self,
        events: EventBridgeClient,
        bus_arn: str,
        source: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._events = events
        self._bus = bus_arn
        self._source = source
        self._sleep = sleep

    def publish_all(self, detail_type: str, details: Sequence[Mapping[str, Any]]) -> int:
        """Put every detail; raises PublishError if some still fail after retries."""
        entries = [
            {
                "Source": self._source,
                "DetailType": detail_type,
                "Detail": json.dumps(d, sort_keys=True, default=str),
                "EventBusName": self._bus,
            }
            for d in details
        ]
        for start in range(0, len(entries), BATCH):
            self._put(entries[start : start + BATCH])
        return len(entries)

    def _put(self, batch: list[dict[str, Any]]) -> None:
        pending = batch
        for attempt in range(ATTEMPTS):
            try:
                resp = self._events.put_events(Entries=pending)  # type: ignore[arg-type]
            except ClientError as exc:
                raise _translate(exc) from exc
            if not resp.get("FailedEntryCount"):
                return
            # Results are positional: an entry with an ErrorCode failed and is sent again.
            pending = [e for e, r in zip(pending, resp["Entries"], strict=True) if "ErrorCode" in r]
            self._sleep(0.1 * 2**attempt)
        raise PublishError(f"{len(pending)} entries still failing after {ATTEMPTS} attempts")
