"""Consumers of the player table's stream (dispatch, the lake writer, the leaderboard index):
each with its own dead-letter queue and an event source mapping made the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.queues import dead_letter_queue
from infra.constructs.tables import Tables
from infra.nag import acknowledge


def stream_dead_letter_queue(scope: Construct, id: str, consumer: str) -> sqs.Queue:
    """The on-failure destination of `consumer`'s mapping (it holds shard ranges only)."""
    queue = dead_letter_queue(scope, id)
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        "This queue is itself a dead-letter queue: the on-failure destination of the "
        f"{consumer}'s DynamoDB stream event source mapping.",
    )
    return queue


def consume_player_stream(
    function: lambda_.IFunction,
    tables: Tables,
    dead_letters: sqs.IQueue,
    filters: Sequence[dict[str, Any]],
    *,
    batch_size: int,
    retry_attempts: int,
    max_batching_window: Duration | None = None,
    report_batch_item_failures: bool = False,
) -> None:
    """Invoke `function` with the stream records that pass `filters`, failed batches
    bisected and retried, then sent to `dead_letters`."""
    function.add_event_source(
        sources.DynamoEventSource(
            tables.player_table,
            # TRIM_HORIZON, not LATEST: records written before the mapping is active (first
            # deploy, mapping re-created, function disabled) are still read. Every consumer
            # is idempotent, so re-reading up to 24 h is safe; LATEST would silently drop
            # them.
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            bisect_batch_on_error=True,
            retry_attempts=retry_attempts,
            report_batch_item_failures=report_batch_item_failures,
            on_failure=sources.SqsDlq(dead_letters),
            filters=[lambda_.FilterCriteria.filter(f) for f in filters],
        )
    )
