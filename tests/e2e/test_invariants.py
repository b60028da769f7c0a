"""Must-hold invariants, proven through the real Lambda handlers on a moto server."""

import json
import threading

from functions.dispatch.handler import handler as dispatch_handler
from functions.engine.handler import handler as engine_handler
from shared import wiring
from shared.adapters.player_store import PlayerStore
from shared.errors import ThrottledError
from shared.local.embedded import sent_emails
from shared.local.lambda_context import LambdaContext
from shared.wiring import build_engine

T = "2026-11-24T09:00:00+00:00"


def env(detail_type, **detail):
    return {"source": "casino.example", "detail-type": detail_type, "detail": detail}


def registered(player, event_id="reg", email=None):
    return env(
        "player.registered",
        player_id=player,
        event_id=event_id,
        occurred_at=T,
        locale="en",
        time_zone="Europe/Kyiv",
        country="UA",
        email=email or f"{player}@example.org",
        consents={"email": True},
    )


def deposit(player, event_id, amount="20.00", at=T):
    return env(
        "wallet.deposit_succeeded",
        player_id=player,
        event_id=event_id,
        occurred_at=at,
        deposit_id=f"d-{event_id}",
        amount=amount,
        currency="EUR",
    )


def sqs_event(*bodies):
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"h-{i}",
                "body": b if isinstance(b, str) else json.dumps(b),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:engine",
                "awsRegion": "eu-west-1",
            }
            for i, b in enumerate(bodies)
        ]
    }


def invoke_engine(*bodies):
    return engine_handler(sqs_event(*bodies), LambdaContext("engine"))


def snapshot(stack, player):
    players = stack.runtime.players
    state = players.state(player)
    return (
        state.model_dump() if state else None,
        [e.entry_id for e in players.ledger(player)],
        sorted(i.outbox_id for i, _, _ in players.outbox(player)),
    )


# --- invariant 1: replays change nothing ------------------------------------------------------


def test_the_same_event_delivered_twice_changes_nothing_the_second_time(started):
    rt = started.runtime
    rt.put_events([registered("p-1"), deposit("p-1", "dep-1")])
    rt.pump()
    before, emails_before = snapshot(started, "p-1"), len(sent_emails(started))
    rt.put_events([deposit("p-1", "dep-1")])
    rt.pump()
    assert snapshot(started, "p-1") == before
    assert len(sent_emails(started)) == emails_before


def test_a_redriven_batch_changes_nothing_the_second_time(started):
    batch = (
        registered("p-2"),
        deposit("p-2", "dep-1"),
        deposit("p-2", "dep-2", at="2026-11-25T10:00:00+00:00"),
    )
    assert invoke_engine(*batch) == {"batchItemFailures": []}
    started.runtime.pump()
    before, emails_before = snapshot(started, "p-2"), len(sent_emails(started))
    assert invoke_engine(*batch) == {"batchItemFailures": []}
    started.runtime.pump()
    assert snapshot(started, "p-2") == before
    assert len(sent_emails(started)) == emails_before
    assert started.runtime.players.state("p-2").points_balance == 40


def test_the_same_event_twice_in_one_batch_is_applied_once(started):
    invoke_engine(deposit("p-3", "dep-1"), deposit("p-3", "dep-1"))
    assert started.runtime.players.state("p-3").points_balance == 20


def test_a_redelivered_outbox_record_sends_one_email(started):
    invoke_engine(registered("p-4"))
    rt = started.runtime
    streams = rt.clients.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=started.resources.stream_arn)["StreamDescription"][
        "Shards"
    ][0]
    it = streams.get_shard_iterator(
        StreamArn=started.resources.stream_arn,
        ShardId=shard["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    records = [
        r
        for r in streams.get_records(ShardIterator=it)["Records"]
        if r["eventName"] == "INSERT"
        and r["dynamodb"]["Keys"]["sk"]["S"].startswith("OUTBOX#")
        and '"send"' in r["dynamodb"]["NewImage"]["item"]["S"]
    ]
    assert len(records) == 1
    for _ in range(3):
        assert dispatch_handler({"Records": records}, LambdaContext("dispatch")) == {
            "batchItemFailures": []
        }
    assert len(sent_emails(started)) == 1


# --- invariant 2: nothing is lost -------------------------------------------------------------


def test_a_malformed_event_goes_to_the_dlq_with_its_reason_and_the_batch_goes_on(started):
    naive = deposit("p-5", "dep-bad", at="2026-11-24 09:00:00")
    result = invoke_engine(deposit("p-5", "dep-1"), "{not json", naive, deposit("p-6", "dep-1"))
    assert result == {"batchItemFailures": []}
    players = started.runtime.players
    assert players.state("p-5").points_balance == 20
    assert players.state("p-6").points_balance == 20
    letters = started.runtime.dead_letters()
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("body: not JSON")
    assert "occurred_at" in reasons[1]
    assert "{not json" in [letter["body"] for letter in letters]


def test_a_transient_failure_retries_only_that_players_records(started):
    settings = started.resources.engine_settings()

    class FlakyStore(PlayerStore):
        def commit(self, commit, now, dedupe_for):
            if commit.player_id == "p-7":
                raise ThrottledError("ProvisionedThroughputExceededException")
            super().commit(commit, now, dedupe_for)

    engine = build_engine(settings, started.clock, started.runtime.clients)
    engine._players = FlakyStore(settings.player_table, started.runtime.clients.client("dynamodb"))
    wiring.install(engine=engine)
    result = invoke_engine(
        deposit("p-7", "dep-1"), deposit("p-8", "dep-1"), deposit("p-7", "dep-2")
    )
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["m-0", "m-2"]
    assert started.runtime.players.state("p-8").points_balance == 20
    assert started.runtime.players.state("p-7") is None


# --- concurrency: version conflicts reload and re-decide -----------------------------------------


def test_a_concurrent_write_to_the_same_player_is_retried_by_reloading(started):
    settings = started.resources.engine_settings()
    ddb = started.runtime.clients.client("dynamodb")
    rival = build_engine(settings, started.clock, started.runtime.clients)
    raced = threading.Event()

    class RacingStore(PlayerStore):
        def commit(self, commit, now, dedupe_for):
            if not raced.is_set():
                raced.set()
                # Another Lambda commits a different event for the same player first.
                from shared.services.engine_batch import InboundRecord

                rival.process([InboundRecord("rival", json.dumps(deposit("p-9", "dep-rival")))])
            super().commit(commit, now, dedupe_for)

    engine = build_engine(settings, started.clock, started.runtime.clients)
    engine._players = RacingStore(settings.player_table, ddb)
    wiring.install(engine=engine)
    assert invoke_engine(deposit("p-9", "dep-mine")) == {"batchItemFailures": []}
    players = started.runtime.players
    assert players.state("p-9").points_balance == 40
    assert sorted(e.event_id for e in players.ledger("p-9")) == ["dep-mine", "dep-rival"]
    assert players.state("p-9").version == 2


def test_parallel_batches_for_one_player_never_lose_or_double_an_award(started):
    settings = started.resources.engine_settings()
    engines = [build_engine(settings, started.clock, started.runtime.clients) for _ in range(4)]
    from shared.services.engine_batch import InboundRecord

    def work(i):
        # One deposit a day, so the RG deposit-frequency flag stays out of this race.
        pending = [
            InboundRecord(
                f"m{i}-{j}",
                json.dumps(
                    deposit(
                        "p-10", f"dep-{i}-{j}", at=f"2026-11-{10 + i * 3 + j:02d}T09:00:00+00:00"
                    )
                ),
            )
            for j in range(3)
        ]
        while pending:  # as SQS does: records reported failed come back
            failed = engines[i].process(pending).failed_message_ids
            pending = [r for r in pending if r.message_id in failed]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    players = started.runtime.players
    ledger = players.ledger("p-10")
    assert len(ledger) == 12
    assert players.state("p-10").points_balance == sum(e.points for e in ledger) == 240


# --- invariant 5: a bad config item is skipped, not fatal ---------------------------------------


def test_a_bad_rule_written_behind_the_consoles_back_is_skipped_and_the_rest_still_run(started):
    config = started.runtime.config
    config.put_raw("rule", "broken", json.dumps({"rule_id": "broken", "on": ["nope"], "then": []}))
    config.put_raw("rule", "garbage", "{{{")
    config.publish()
    assert invoke_engine(deposit("p-11", "dep-1")) == {"batchItemFailures": []}
    assert started.runtime.players.state("p-11").points_balance == 20


def test_a_published_change_takes_effect_on_the_next_batch(started):
    invoke_engine(deposit("p-12", "dep-1"))
    rule = {
        "rule_id": "deposit-points",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"rate": "2", "of": "amount"}}],
    }
    started.runtime.config.put_rule(rule, actor="test", now=started.clock.now())
    started.runtime.config.publish()
    invoke_engine(deposit("p-12", "dep-2"))
    assert [
        e.points for e in sorted(started.runtime.players.ledger("p-12"), key=lambda e: e.event_id)
    ] == [20, 40]


# --- timers -----------------------------------------------------------------------------------


def test_a_timer_that_fires_after_its_condition_stopped_holding_does_nothing(started):
    rt = started.runtime
    # Without the cancel rule, the schedule stays and fires; the re-check must stop the send.
    rt.config.put_rule(
        {
            "rule_id": "deposit-cancels-nudge",
            "enabled": False,
            "on": ["wallet.deposit_succeeded"],
            "then": [{"cancel_timer": {"timer": "no-deposit-3d"}}],
        },
        actor="t",
        now=started.clock.now(),
    )
    rt.config.publish()
    rt.put_events([registered("p-13"), deposit("p-13", "dep-1", at="2026-11-25T09:00:00+00:00")])
    rt.pump()
    fired = rt.advance(__import__("datetime").timedelta(days=4))
    assert [f.detail["player_id"] for f in fired] == ["p-13"]
    sends = [i.effect.template for i, _, _ in rt.players.outbox("p-13") if i.effect.kind == "send"]
    assert "deposit-nudge" not in sends
