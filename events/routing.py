"""Routing contract shared by the CDK app and the local runtime, so both route the same way."""

from __future__ import annotations

from typing import Any

from events.models import CONTRACT_MODELS

BUS_RULE_PATTERN: dict[str, Any] = {
    # Every contract detail-type (player and catalog events) goes to the engine queue;
    # anything else on the bus is ignored.
    "detail-type": sorted(CONTRACT_MODELS),
}
"""EventBridge rule pattern: engage bus -> engine SQS queue."""

OUTBOX_SK_PREFIX = "OUTBOX#"

OUTBOX_STREAM_FILTER: dict[str, Any] = {
    # Only new outbox items reach dispatch: profile writes, ledger lines, status updates and
    # TTL deletions never invoke it (Lambda event filtering, billed nothing when filtered).
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"sk": {"S": [{"prefix": OUTBOX_SK_PREFIX}]}}},
}
"""Lambda event-source filter pattern on the player table's stream -> dispatch."""
