"""A rebuild's history in AWS: the SQS queue an archive replay filled (docs/deploy.md,
"Recovery: rebuild the player table").

The whole queue is read before anything is decided (a player's events must be sorted by
event time, and the replay delivers them in no particular order). Messages stay invisible
while the rebuild runs and are deleted only after it succeeded, so a failed rebuild can be
run again from the same queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Long enough for a big rebuild; the maximum SQS allows is 12 hours.
READ_VISIBILITY_SECONDS = 12 * 3600
# A replay is complete before the read starts; a few empty long polls mean the queue is drained.
EMPTY_POLLS_TO_STOP = 3
POLL_SECONDS = 2


@dataclass
class QueueHistory:
    client: SQSClient
    queue_url: str
    wait_seconds: int | None = None
    _handles: list[str] = field(default_factory=list)

    def read(self) -> list[str]:
        """Every message body in the queue (the replayed EventBridge envelopes)."""
        bodies: list[str] = []
        empty = 0
        while empty < EMPTY_POLLS_TO_STOP:
            resp = self.client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=POLL_SECONDS if self.wait_seconds is None else self.wait_seconds,
                VisibilityTimeout=READ_VISIBILITY_SECONDS,
            )
            messages = resp.get("Messages", [])
            if not messages:
                empty += 1
                continue
            empty = 0
            for message in messages:
                bodies.append(message["Body"])
                self._handles.append(message["ReceiptHandle"])
        return bodies

    def delete_read(self) -> int:
        """Delete what `read` returned (after a successful rebuild); returns how many."""
        deleted = 0
        for start in range(0, len(self._handles), 10):
            chunk = self._handles[start : start + 10]
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)],
            )
            deleted += len(chunk)
        self._handles = []
        return deleted
