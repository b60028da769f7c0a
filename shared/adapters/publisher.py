"""Derived events onto the bus, and compliance alerts onto the compliance SNS topic."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from events.models import ENGINE_SOURCE
from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sns import SNSClient

PUT_EVENTS_MAX = 10
_THROTTLE = {"ThrottlingException", "Throttling", "InternalException", "InternalError"}


class PublishError(Exception):
    """EventBridge refused the entry (it reports failures per entry, not as an exception)."""


class EventPublisher:
    def __init__(
        self, events: EventBridgeClient, bus_arn: str, source: str = ENGINE_SOURCE
    ) -> None:
        self._events = events
        self._bus = bus_arn
        # Each component puts its own source, which its IAM role is limited to.
        self._source = source

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str:
        """PutEvents one event (source engage.engine unless told); returns its event id."""
        try:
            resp = self._events.put_events(
                Entries=[
                    {
                        "Source": self._source,
                        "DetailType": detail_type,
                        "Detail": json.dumps(detail, sort_keys=True, default=str),
                        "EventBusName": self._bus,
                    }
                ]
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        entry = resp["Entries"][0]
        if resp.get("FailedEntryCount") or "EventId" not in entry:
            # Raising makes dispatch retry the record rather than mark it done.
            raise PublishError(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
        return str(entry["EventId"])

    def publish_many(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> int:
        """PutEvents many (10 per call, the API's limit); raises if any entry failed.

        A partial failure raises after the call: the caller retries the whole set, and
        the receivers de-duplicate by event_id (each entry's detail carries a stable one).
        """
        for start in range(0, len(events), PUT_EVENTS_MAX):
            chunk = events[start : start + PUT_EVENTS_MAX]
            try:
                resp = self._events.put_events(
                    Entries=[
                        {
                            "Source": self._source,
                            "DetailType": detail_type,
                            "Detail": json.dumps(detail, sort_keys=True, default=str),
                            "EventBusName": self._bus,
                        }
                        for detail_type, detail in chunk
                    ]
                )
            except ClientError as exc:
                raise _translate(exc) from exc
            if resp.get("FailedEntryCount"):
                codes = sorted(
                    {str(e.get("ErrorCode")) for e in resp["Entries"] if "ErrorCode" in e}
                )
                raise PublishError(f"{resp['FailedEntryCount']} of {len(chunk)} failed: {codes}")
        return len(events)


class ComplianceAlerts:
    def __init__(self, sns: SNSClient, topic_arn: str) -> None:
        self._sns = sns
        self._topic = topic_arn

    def alert(self, subject: str, message: Mapping[str, Any]) -> str:
        """Publish to the compliance topic (ids, flags and reasons only, never contact data)."""
        try:
            resp = self._sns.publish(
                TopicArn=self._topic,
                Subject=subject[:100],
                Message=json.dumps(message, sort_keys=True, default=str),
                MessageAttributes={
                    "kind": {"DataType": "String", "StringValue": str(message.get("flag", "rg"))}
                },
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        return str(resp["MessageId"])


def _translate(exc: ClientError) -> Exception:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return ThrottledError(code) if code in _THROTTLE else exc
