"""The local runtime: plays Lambda's and Scheduler's parts over a moto server on loopback.

- moto's EventBridge routes bus events into the engine SQS queue (as the real rule does);
  the runtime receives batches and invokes the real engine handler with SQS-shaped events,
  deleting what succeeded and making failures visible again (moto redrives to the DLQ).
- it reads the player table's stream, applies the same event-source filter as the CDK
  stack, and invokes the real dispatch handler with stream-shaped events; the state records
  that name changed leaderboard entries go to the board index (board_index.py), as they go
  to the board index function in AWS.
- moto's Scheduler stores schedules but never fires them: the runtime fires the due ones
  (by the virtual clock) onto the bus and deletes them, as ActionAfterCompletion=DELETE does.
- the leaderboard settle (every minute in AWS) runs at each step of virtual time.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from events.routing import OUTBOX_STREAM_FILTER
from shared import wiring
from shared.adapters.board_index import BoardIndex
from shared.adapters.board_items import BOARD_STREAM_FILTER
from shared.adapters.capacity import CapacityMeter
from shared.adapters.config_store import ConfigStore
from shared.adapters.lake_files import LocalLake
from shared.adapters.lake_stream import rows_from_records
from shared.adapters.player_store import PlayerStore
from shared.clock import FixedClock
from shared.domain.language.patterns import compile_pattern
from shared.domain.outputs.lake import event_row
from shared.local.lambda_context import LambdaContext
from shared.local.provision import REGION, Resources, local_clients
from shared.metrics import RecordingMetrics
from shared.services.dispatch import DispatchObserver
from shared.services.engine_batch import EngineObserver
from shared.wiring import (
    AwsClients,
    build_dispatch,
    build_engine,
    build_feedback,
    build_unsubscribe,
)

MAX_STREAM_RETRIES = 3


@dataclass(frozen=True)
class FiredTimer:
    schedule_name: str
    at: datetime
    detail: dict[str, Any]


def parse_at(expression: str) -> datetime:
    """`at(2026-11-27T10:00:00)` (UTC, as our scheduler adapter writes it) -> datetime."""
    inner = expression.removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(inner).replace(tzinfo=UTC)


# The handlers flush their own Powertools Metrics per invocation; locally the services report
# to `LocalRuntime.metrics` (a recorder) instead, so that object stays empty: not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


class LocalRuntime:
    def __init__(
        self,
        endpoint: str,
        resources: Resources,
        clock: FixedClock,
        engine_observer: EngineObserver | None = None,
        dispatch_observer: DispatchObserver | None = None,
        on_config_problem: Callable[[Any], None] | None = None,
        lake: LocalLake | None = None,
    ) -> None:
        self.endpoint = endpoint
        # Where the lake rows of what the pipeline handled go (None: no lake is kept).
        self.lake = lake
        self.resources = resources
        self.clock = clock
        self.meter = CapacityMeter()
        # What engine and dispatch would emit to CloudWatch, kept in memory.
        self.metrics = RecordingMetrics()
        self.clients = local_clients(endpoint)
        self.players = PlayerStore(resources.player_table, self.clients.client("dynamodb"))
        self.config = ConfigStore(resources.config_table, self.clients.client("dynamodb"))
        self._lock = threading.RLock()
        self._stream_filter = compile_pattern(OUTBOX_STREAM_FILTER, path="filter")
        # The board index function's share of the stream (board_index.py), metered with the
        # rest: its puts are part of what a score costs.
        self._board_filter = compile_pattern(BOARD_STREAM_FILTER, path="filter")
        self._board_index = BoardIndex(
            resources.player_table, self.clients.client("dynamodb"), self.meter
        )
        self._iterators: dict[str, str] = {}
        self._rebuilds = 0
        self.on_fire: Callable[[FiredTimer], None] | None = None
        # Kept so dispatch can be rebuilt with the URL the unsubscribe route is served on.
        self._dispatch_observer = dispatch_observer
        self._on_config_problem = on_config_problem
        self.unsubscribe_server: Any = None
        wiring.install(
            unsubscribe=build_unsubscribe(resources.unsubscribe_settings(), clock, self.clients),
            feedback=build_feedback(resources.feedback_settings(), self.clients),
        )
        from shared import leaderboard_wiring

        leaderboard_wiring.install(
            leaderboard_wiring.build_settle(
                leaderboard_wiring.SettleSettings(
                    player_table=resources.player_table,
                    config_table=resources.config_table,
                    bus_arn=resources.bus_arn,
                ),
                clock,
                self.clients,
            )
        )
        wiring.install(
            engine=build_engine(
                resources.engine_settings(),
                clock,
                self.clients,
                observer=engine_observer,
                meter=self.meter,
                on_config_problem=on_config_problem,
                metrics=self.metrics,
            ),
            dispatch=build_dispatch(
                resources.dispatch_settings(),
                clock,
                self.clients,
                observer=dispatch_observer,
                meter=self.meter,
                on_config_problem=on_config_problem,
                metrics=self.metrics,
            ),
        )

    # --- input --------------------------------------------------------------------------

    def put_events(self, envelopes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """PutEvents onto the local bus, as an operator would (10 per call)."""
        entries = [
            {
                "Source": e["source"],
                "DetailType": e["detail-type"],
                "Detail": json.dumps(e["detail"], default=str),
                "EventBusName": self.resources.bus_name,
                "Time": self.clock.now(),
            }
            for e in envelopes
        ]
        results: list[dict[str, Any]] = []
        for start in range(0, len(entries), 10):
            resp = self.clients.client("events").put_events(Entries=entries[start : start + 10])
            results += resp["Entries"]
        return results

    # --- email feedback and unsubscribe ---------------------------------------------------

    def serve_unsubscribe(self, port: int = 0) -> Any:
        """Serve the unsubscribe route on 127.0.0.1 and put its URL in the emails sent."""
        from dataclasses import replace

        from shared.local.unsubscribe_server import UnsubscribeServer

        server = UnsubscribeServer(port).start()
        self.unsubscribe_server = server
        self.resources = replace(self.resources, unsubscribe_base_url=server.url)
        wiring.install(
            dispatch=build_dispatch(
                self.resources.dispatch_settings(),
                self.clock,
                self.clients,
                observer=self._dispatch_observer,
                meter=self.meter,
                on_config_problem=self._on_config_problem,
                metrics=self.metrics,
            )
        )
        return server

    def ses_feedback(
        self, kind: str, player_id: str, outbox_id: str, **extra: Any
    ) -> dict[str, Any]:
        """Play SES: feedback on a sent email, through the real feedback handler; pumps."""
        from functions.feedback.handler import handler as feedback_handler
        from shared.local.ses_feedback import ses_event

        sent = [o for o in self.players.outbox(player_id) if o[0].outbox_id == outbox_id]
        if not sent:
            raise LookupError(f"no outbox item {outbox_id} for player {player_id}")
        item, _status, result = sent[0]
        template = str(getattr(item.effect, "template", ""))
        # "email deposit-nudge: sent as <SES message id>" -> the id SES would report.
        message_id = str(result or "").rsplit(" ", 1)[-1] or outbox_id
        event = ses_event(
            kind,
            message_id=message_id,
            player_id=player_id,
            outbox_id=outbox_id,
            template=template,
            at=self.clock.now(),
            **extra,
        )
        with self._lock:
            outcome = play_ses_feedback(feedback_handler, event)
        self.pump()
        return outcome

    # --- the pump -----------------------------------------------------------------------

    def pump(self, max_rounds: int = 200) -> int:
        """Run queue and stream consumers until both are idle; returns records handled."""
        handled = 0
        with self._lock:
            for _ in range(max_rounds):
                step = self._drain_queue() + self._drain_stream()
                handled += step
                if step == 0:
                    if self.lake is not None:
                        self.lake.flush()
                    return handled
        raise RuntimeError(f"local pipeline still busy after {max_rounds} rounds")

    def _drain_queue(self) -> int:
        from functions.engine.handler import handler as engine_handler

        sqs = self.clients.client("sqs")
        resp = sqs.receive_message(
            QueueUrl=self.resources.engine_queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._sqs_record(m) for m in messages]}
        result = engine_handler(event, LambdaContext("engage-engine"))
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] in failed:
                # As Lambda would after a partial failure: it comes back (moto redrives to
                # the DLQ after maxReceiveCount receives).
                sqs.change_message_visibility(
                    QueueUrl=self.resources.engine_queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                sqs.delete_message(
                    QueueUrl=self.resources.engine_queue_url, ReceiptHandle=m["ReceiptHandle"]
                )
                self._to_lake_event(m["Body"])
        return len(messages)

    def _to_lake_event(self, body: str) -> None:
        # Only what the engine accepted: a refused event goes to the DLQ, not the lake.
        if self.lake is None:
            return
        envelope = json.loads(body)
        try:
            row = event_row(envelope)
        except (KeyError, ValueError, TypeError):
            # Malformed: the engine sent it to the DLQ with its reason; it is no lake event.
            return
        self.lake.add([row])

    def _sqs_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return sqs_record(
            message["MessageId"],
            message["ReceiptHandle"],
            message["Body"],
            queue="engine",
            attributes=message.get("Attributes", {}),
            md5=message.get("MD5OfBody", ""),
        )

    def _drain_stream(self) -> int:
        from functions.dispatch.handler import handler as dispatch_handler

        streams = self.clients.client("dynamodbstreams")
        arn = self.resources.stream_arn
        records: list[dict[str, Any]] = []
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            resp = streams.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = resp.get("NextShardIterator") or iterator
            if self.lake is not None:
                self.lake.add(rows_from_records(resp.get("Records", [])))
            self._board_index.project_records(
                r for r in resp.get("Records", []) if self._board_filter.matches(r)
            )
            for record in resp.get("Records", []):
                record.setdefault("eventSourceARN", arn)
                record.setdefault("eventSource", "aws:dynamodb")
                record.setdefault("awsRegion", REGION)
                if self._stream_filter.matches(record):
                    records.append(record)
        for start in range(0, len(records), 10):
            self._invoke_dispatch(dispatch_handler, records[start : start + 10])
        return len(records)

    def _invoke_dispatch(self, dispatch_handler: Any, batch: list[dict[str, Any]]) -> None:
        for _ in range(MAX_STREAM_RETRIES):
            result = dispatch_handler({"Records": batch}, LambdaContext("engage-dispatch"))
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            if not failures:
                return
            # Lambda resumes a stream from the first failed record; later ones come again.
            first = min(failures)
            batch = [r for r in batch if r["dynamodb"]["SequenceNumber"] >= first]
        self.clients.client("sqs").send_message(
            QueueUrl=self.resources.dispatch_dlq_url,
            MessageBody=json.dumps({"failed_records": batch}, default=str),
        )

    # --- time ---------------------------------------------------------------------------

    def pending_schedules(self) -> list[tuple[datetime, str, dict[str, Any]]]:
        scheduler = self.clients.client("scheduler")
        out = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"GroupName": self.resources.schedule_group}
            if token:
                kwargs["NextToken"] = token
            page = scheduler.list_schedules(**kwargs)
            for summary in page.get("Schedules", []):
                full = scheduler.get_schedule(
                    Name=summary["Name"], GroupName=self.resources.schedule_group
                )
                out.append((parse_at(full["ScheduleExpression"]), summary["Name"], full))
            token = page.get("NextToken")
            if not token:
                return sorted(out, key=lambda t: (t[0], t[1]))

    def fire_due(self) -> list[FiredTimer]:
        """Put each due schedule's event on the bus and delete the schedule."""
        fired: list[FiredTimer] = []
        now = self.clock.now()
        with self._lock:
            for at, name, schedule in self.pending_schedules():
                if at > now:
                    break
                target = schedule["Target"]
                params = target["EventBridgeParameters"]
                self.clients.client("events").put_events(
                    Entries=[
                        {
                            "Source": params["Source"],
                            "DetailType": params["DetailType"],
                            "Detail": target["Input"],
                            "EventBusName": self.resources.bus_name,
                            "Time": at,
                        }
                    ]
                )
                self.clients.client("scheduler").delete_schedule(
                    Name=name, GroupName=self.resources.schedule_group
                )
                timer = FiredTimer(name, at, json.loads(target["Input"]))
                fired.append(timer)
                if self.on_fire:
                    self.on_fire(timer)
        return fired

    def advance(self, delta: timedelta) -> list[FiredTimer]:
        """Move virtual time forward, firing each schedule at its own time, in order."""
        target = self.clock.now() + delta
        fired: list[FiredTimer] = []
        while True:
            due = [at for at, _, _ in self.pending_schedules() if at <= target]
            if not due:
                break
            if due[0] > self.clock.now():
                self.clock.set(due[0])
            fired += self.fire_due()
            self.pump()
            self.settle_boards()
        self.clock.set(target)
        self.pump()
        self.settle_boards()
        return fired

    def settle_boards(self) -> dict[str, Any]:
        """Run the leaderboard settle handler as its schedule would, then pump its prizes."""
        from functions.leaderboard_settle.handler import handler as settle_handler

        with self._lock:
            outcome: dict[str, Any] = settle_handler({}, LambdaContext("engage-leaderboard-settle"))  # type: ignore[arg-type]
        if outcome.get("prizes"):
            self.pump()
        return outcome

    # --- recovery -----------------------------------------------------------------------

    def rebuild(
        self, as_of: datetime | None = None, arm: bool = False, table: str | None = None
    ) -> tuple[str, Any]:
        """Rebuild every player from the bus archive into a fresh player table.

        Nothing is sent, scheduled or published (shared/services/rebuild.py); with `arm`,
        the pending timers' schedules are created afterwards. Returns (table, report).
        """
        from shared.adapters.scheduler import TimerScheduler
        from shared.local.history import archived_bodies
        from shared.local.provision import rebuild_table
        from shared.services.rebuild import arm_timers
        from shared.wiring import build_rebuild

        with self._lock:
            self._rebuilds += 1
            name = table or f"{self.resources.player_table}-rebuild-{self._rebuilds}"
            rebuild_table(self.clients, name)
            settings = self.resources.engine_settings()
            service = build_rebuild(
                name,
                self.resources.config_table,
                self.clock,
                self.clients,
                timedelta(seconds=settings.reorder_window_seconds),
                settings.dedupe_days,
            )
            history = archived_bodies(self.resources.archive_name)
            report = service.rebuild(history, as_of)
            if arm:
                dispatch = self.resources.dispatch_settings()
                arm_timers(
                    report,
                    TimerScheduler(
                        self.clients.client("scheduler"),
                        dispatch.schedule_group,
                        dispatch.bus_arn,
                        dispatch.scheduler_role_arn,
                        dispatch.schedule_dead_letter_queue_arn,
                    ),
                    self.clock.now(),
                )
            return name, report

    def dead_letters(self) -> list[dict[str, str]]:
        """Messages parked in the engine DLQ, with their reasons (left in the queue)."""
        return read_dead_letters(self.clients, self.resources)


def sqs_record(
    message_id: str,
    receipt_handle: str,
    body: str,
    *,
    queue: str,
    attributes: dict[str, Any] | None = None,
    md5: str = "",
) -> dict[str, Any]:
    """One record of an SQS event, shaped as Lambda's event source mapping delivers it."""
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": attributes or {},
        "messageAttributes": {},
        "md5OfBody": md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{queue}",
        "awsRegion": REGION,
    }


def sqs_batch(*bodies: str) -> dict[str, Any]:
    """An SQS event of the feedback queue, one record per body (ids derived from the body)."""
    records = []
    for body in bodies:
        digest = hashlib.sha256(body.encode()).hexdigest()
        md5 = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        records.append(sqs_record(digest[:32], digest, body, queue="feedback", md5=md5))
    return {"Records": records}


def play_ses_feedback(feedback_handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Put one SES event through the feedback handler as its queue would deliver it; say
    what it published or why it skipped it (read from the service's counters)."""
    service = wiring.feedback()
    published, skipped = service.published.copy(), service.skipped.copy()
    response = feedback_handler(sqs_batch(json.dumps(event)), LambdaContext("engage-feedback"))
    if response.get("batchItemFailures"):
        raise RuntimeError(f"feedback handler failed the record: {response}")
    new_published = list((service.published - published).elements())
    new_skipped = list((service.skipped - skipped).elements())
    return {
        "published": new_published[0] if new_published else None,
        "skipped": new_skipped[0] if new_skipped else None,
    }


def read_dead_letters(clients: AwsClients, resources: Resources) -> list[dict[str, str]]:
    """Peek at the engine DLQ: each body with the reason the engine gave (or retries ran out)."""
    resp = clients.client("sqs").receive_message(
        QueueUrl=resources.dead_letter_queue_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    )
    return [
        {
            "reason": m.get("MessageAttributes", {})
            .get("reason", {})
            .get("StringValue", "(retries exhausted)"),
            "body": m["Body"],
        }
        for m in resp.get("Messages", [])
    ]
