"""SQS queues the way every queue of the stack is made: encrypted, TLS only."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# SQS keeps a message at most 14 days; a dead letter should wait as long as possible.
MAX_RETENTION = Duration.days(14)
DEAD_LETTER_RETENTION = MAX_RETENTION


def encrypted_queue(scope: Construct, id: str, **kwargs: Any) -> sqs.Queue:
    """A standard queue with SSE-SQS and a policy that denies requests without TLS."""
    # SSE-SQS, not SSE-KMS with the aws/sqs key: EventBridge cannot deliver into a queue
    # encrypted with the AWS-managed SQS key, and SSE-SQS costs nothing extra.
    return sqs.Queue(
        scope, id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **kwargs
    )


def dead_letter_queue(scope: Construct, id: str) -> sqs.Queue:
    """An encrypted queue that holds failed messages for the longest time SQS allows."""
    return encrypted_queue(scope, id, retention_period=DEAD_LETTER_RETENTION)
