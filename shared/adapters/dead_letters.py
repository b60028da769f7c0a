"""Dead-letter queue writer: a refused event is kept whole, with the reason it was refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_REASON = 1000


class SqsDeadLetters:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, body: str, reason: str, source_message_id: str) -> None:
        """Park the original body with `reason` and `source_message_id` message attributes."""
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:MAX_REASON] or "unknown"},
                "source_message_id": {"DataType": "String", "StringValue": source_message_id},
                "refused_by": {"DataType": "String", "StringValue": "engine"},
            },
        )
