"""PlayerStore against moto DynamoDB: one transaction per decision, replays refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import (
    MAX_TRANSACTION_ITEMS,
    OUTBOX_RETENTION,
    SEEN_ATTRIBUTE,
    PlayerStore,
    parse_outbox_image,
)
from shared.adapters.state_codec import STATE_ATTRIBUTE, encode_state
from shared.domain.core.state import PlayerState
from shared.errors import ConflictError, ThrottledError, TooLargeError
from tests.adapters.builders import (
    NOW,
    PLAYER,
    cancel_item,
    commit,
    ledger_entry,
    rich_state,
    send_item,
    timer_item,
)
from tests.adapters.conftest import PLAYER_TABLE, stored_sort_keys

DEDUPE = timedelta(days=7)


def raw_item(ddb: Any, sk: str, player_id: str = PLAYER) -> dict[str, Any]:
    resp = ddb.get_item(
        TableName=PLAYER_TABLE, Key={"pk": {"S": f"PLAYER#{player_id}"}, "sk": {"S": sk}}
    )
    return dict(resp["Item"])


def stream_records(ddb: Any, streams: Any) -> list[dict[str, Any]]:
    arn = ddb.describe_table(TableName=PLAYER_TABLE)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def stubbed_store(stubbed: Any, meter: CapacityMeter | None = None) -> tuple[PlayerStore, Stubber]:
    client, stubber = stubbed("dynamodb")
    return PlayerStore(PLAYER_TABLE, client, meter), stubber


# --- load and commit --------------------------------------------------------------------


def test_given_a_new_player_when_loaded_then_the_state_is_empty_at_version_0(players):
    loaded = players.load(PLAYER, ["evt-1"])

    assert loaded.state == PlayerState.new(PLAYER)
    assert loaded.state.version == 0
    assert loaded.seen_event_ids == set()


def test_given_a_committed_state_when_loaded_then_it_round_trips_exactly(players):
    state = rich_state()

    players.commit(commit(state), NOW, DEDUPE)
    loaded = players.load(PLAYER, [])

    assert loaded.state == state.model_copy(update={"version": 1})


def test_given_a_committed_state_when_loaded_then_money_keeps_every_digit(players):
    players.commit(commit(rich_state()), NOW, DEDUPE)

    totals = players.load(PLAYER, []).state.profile.deposit_totals

    assert totals == {"EUR": Decimal("12345678901234.567891"), "UAH": Decimal("10.10")}
    assert all(isinstance(v, Decimal) for v in totals.values())
    assert str(totals["UAH"]) == "10.10"


def test_given_a_committed_state_when_loaded_then_datetimes_are_aware_with_their_offset(players):
    players.commit(commit(rich_state()), NOW, DEDUPE)

    profile = players.load(PLAYER, []).state.profile

    assert profile.registered_at is not None
    assert profile.registered_at.utcoffset() == timedelta(hours=2)
    assert profile.registered_at == datetime(2025, 2, 28, 7, 30, tzinfo=UTC)
    assert profile.last_deposit_at is not None
    assert profile.last_deposit_at.tzinfo is not None


def test_given_a_first_commit_when_loaded_then_the_version_is_1(players):
    players.commit(commit(), NOW, DEDUPE)

    assert players.load(PLAYER, []).state.version == 1


def test_given_a_commit_at_the_current_version_when_loaded_then_the_version_advances(players):
    players.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)
    second = PlayerState.new(PLAYER).model_copy(update={"points_balance": 20})

    players.commit(commit(second, expected_version=1, event_ids=["evt-2"]), NOW, DEDUPE)
    loaded = players.load(PLAYER, [])

    assert loaded.state.version == 2
    assert loaded.state.points_balance == 20


def test_given_committed_event_ids_when_loading_then_exactly_those_are_reported_seen(players):
    players.commit(commit(event_ids=["evt-1", "evt-2"]), NOW, DEDUPE)

    loaded = players.load(PLAYER, ["evt-1", "evt-2", "evt-3"])

    assert loaded.seen_event_ids == {"evt-1", "evt-2"}


def test_given_markers_of_another_player_when_loading_then_they_are_not_seen(players):
    players.commit(commit(player_id="someone-else", event_ids=["evt-1"]), NOW, DEDUPE)

    loaded = players.load(PLAYER, ["evt-1"])

    assert loaded.seen_event_ids == set()


def test_given_more_than_100_event_ids_when_loading_then_all_seen_ones_are_found(players):
    # batch_get takes at most 100 keys: the load must page through them.
    first = [f"evt-{i:03}" for i in range(MAX_TRANSACTION_ITEMS - 1)]
    second = [f"evt-{i:03}" for i in range(MAX_TRANSACTION_ITEMS - 1, 150)]
    players.commit(commit(event_ids=first), NOW, DEDUPE)
    players.commit(commit(expected_version=1, event_ids=second), NOW, DEDUPE)

    loaded = players.load(PLAYER, [*first, *second, "evt-new"])

    assert loaded.seen_event_ids == set(first) | set(second)
    assert loaded.state.version == 2


def test_given_unprocessed_keys_when_loading_then_they_are_fetched_again(stubbed):
    store, stubber = stubbed_store(stubbed)
    marker_key = {"pk": {"S": f"PLAYER#{PLAYER}"}, "sk": {"S": "EVENT#evt-1"}}
    stubber.add_response(
        "batch_get_item",
        {
            "Responses": {PLAYER_TABLE: []},
            "UnprocessedKeys": {PLAYER_TABLE: {"Keys": [marker_key], "ConsistentRead": True}},
        },
    )
    stubber.add_response(
        "batch_get_item",
        {"Responses": {PLAYER_TABLE: [marker_key]}},
        {
            "RequestItems": {PLAYER_TABLE: {"Keys": [marker_key], "ConsistentRead": True}},
            "ReturnConsumedCapacity": "TOTAL",
        },
    )

    loaded = store.load(PLAYER, ["evt-1"])

    assert loaded.seen_event_ids == {"evt-1"}
    stubber.assert_no_pending_responses()


# --- conflicts and replays --------------------------------------------------------------


@pytest.mark.parametrize(
    "stale_version", [0, 2], ids=["behind-the-stored-version", "ahead-of-the-stored-version"]
)
def test_given_a_stale_expected_version_when_committing_then_conflict_and_nothing_is_written(
    players, ddb, stale_version
):
    players.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)
    before = stored_sort_keys(ddb)
    racing = commit(
        rich_state(),
        expected_version=stale_version,
        event_ids=["evt-2"],
        ledger=[ledger_entry("evt-2")],
        outbox=[send_item("evt-2")],
    )

    with pytest.raises(ConflictError):
        players.commit(racing, NOW, DEDUPE)

    assert stored_sort_keys(ddb) == before
    assert players.load(PLAYER, []).state == PlayerState.new(PLAYER).model_copy(
        update={"version": 1}
    )


def test_given_a_booked_ledger_entry_when_committed_again_then_conflict_and_nothing_changes(
    players, ddb
):
    # The line is in the state item's tail (ledger_tail.py), which guards it as its own
    # put-if-absent item did.
    entry = ledger_entry("evt-1")
    players.commit(commit(event_ids=["evt-1"], ledger=[entry]), NOW, DEDUPE)
    before = {sk: raw_item(ddb, sk) for sk in stored_sort_keys(ddb)}
    replay = commit(rich_state(), expected_version=1, event_ids=["evt-1-retry"], ledger=[entry])

    with pytest.raises(ConflictError):
        players.commit(replay, NOW + timedelta(minutes=5), DEDUPE)

    assert {sk: raw_item(ddb, sk) for sk in stored_sort_keys(ddb)} == before


def test_given_a_written_outbox_item_when_committed_again_then_conflict_and_nothing_changes(
    players, ddb
):
    item = send_item("evt-1")
    players.commit(commit(event_ids=["evt-1"], outbox=[item]), NOW, DEDUPE)
    players.mark_outbox(PLAYER, item.outbox_id, "done", "sent as m-1")
    before = {sk: raw_item(ddb, sk) for sk in stored_sort_keys(ddb)}
    replay = commit(rich_state(), expected_version=1, event_ids=["evt-1-retry"], outbox=[item])

    with pytest.raises(ConflictError):
        players.commit(replay, NOW + timedelta(minutes=5), DEDUPE)

    assert {sk: raw_item(ddb, sk) for sk in stored_sort_keys(ddb)} == before
    assert players.outbox_status(PLAYER, item.outbox_id) == "done"


def test_given_an_event_already_applied_when_committing_its_marker_again_then_conflict(
    players, ddb
):
    players.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)
    before = stored_sort_keys(ddb)

    with pytest.raises(ConflictError):
        players.commit(commit(expected_version=1, event_ids=["evt-1"]), NOW, DEDUPE)

    assert stored_sort_keys(ddb) == before
    assert players.load(PLAYER, []).state.version == 1


def test_given_more_than_100_items_when_committing_then_too_large_before_calling_aws(
    stubbed,
):
    store, stubber = stubbed_store(stubbed)
    # 1 state + 60 markers + 40 outbox items = 101 writes (ledger lines are not items of
    # the transaction: they go in the state's tail); the stub has no response queued, so
    # any AWS call would fail with a stubber error instead of TooLargeError.
    oversized = commit(
        event_ids=[f"evt-{i}" for i in range(60)],
        ledger=[ledger_entry(f"evt-{i}") for i in range(40)],
        outbox=[send_item(f"evt-{i}") for i in range(40)],
    )

    with pytest.raises(TooLargeError, match="101"):
        store.commit(oversized, NOW, DEDUPE)

    stubber.assert_no_pending_responses()


def test_given_exactly_100_items_when_committing_then_all_are_written(players, ddb):
    full = commit(
        event_ids=[f"evt-{i:02}" for i in range(50)],
        ledger=[ledger_entry(f"evt-{i:02}") for i in range(45)],
        outbox=[send_item(f"evt-{i:02}") for i in range(49)],
    )
    assert full.item_count == MAX_TRANSACTION_ITEMS

    players.commit(full, NOW, DEDUPE)

    assert len(stored_sort_keys(ddb)) == MAX_TRANSACTION_ITEMS
    assert len(players.ledger(PLAYER)) == 45


# --- what the items carry ---------------------------------------------------------------


def test_given_a_commit_when_reading_outbox_items_then_they_are_pending_with_kind_and_ttl(
    players, ddb
):
    item = send_item()

    players.commit(commit(outbox=[item]), NOW, DEDUPE)

    sk = f"OUTBOX#{item.outbox_id}"
    assert sk in stored_sort_keys(ddb)
    stored = raw_item(ddb, sk)
    assert stored["status"] == {"S": "pending"}
    assert stored["kind"] == {"S": "send"}
    assert stored["expires_at"] == {"N": str(int((NOW + OUTBOX_RETENTION).timestamp()))}


def test_given_a_commit_when_reading_event_markers_then_they_expire_after_the_dedupe_window(
    players, ddb
):
    players.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)

    marker = raw_item(ddb, "EVENT#evt-1")

    assert marker["expires_at"] == {"N": str(int((NOW + DEDUPE).timestamp()))}


def test_given_a_commit_when_reading_the_state_item_then_it_holds_only_what_is_read_back(
    players, ddb
):
    # Every started KB of the state item is a write unit (two in a transaction): the
    # balance lives in the compressed state alone, no copy beside it.
    players.commit(commit(rich_state()), NOW, DEDUPE)

    stored = raw_item(ddb, "STATE")

    assert set(stored) == {"pk", "sk", "version", STATE_ATTRIBUTE, SEEN_ATTRIBUTE}
    assert stored["version"] == {"N": "1"}
    state = players.state(PLAYER)
    assert state is not None
    assert state.points_balance == 120


# --- inspection reads -------------------------------------------------------------------


def test_given_ledger_lines_when_reading_the_ledger_then_they_come_back_in_time_order(players):
    later = ledger_entry("evt-2", points=5, balance_after=15, occurred_at=NOW + timedelta(hours=1))
    earlier = ledger_entry("evt-1", points=10, balance_after=10, occurred_at=NOW)

    players.commit(commit(event_ids=["evt-1", "evt-2"], ledger=[later, earlier]), NOW, DEDUPE)

    assert players.ledger(PLAYER) == [earlier, later]


def test_given_outbox_items_when_reading_the_outbox_then_each_is_pending_with_no_result(players):
    items = [send_item("evt-1"), timer_item("evt-1"), cancel_item("evt-2")]

    players.commit(commit(event_ids=["evt-1", "evt-2"], outbox=items), NOW, DEDUPE)

    read = players.outbox(PLAYER)
    assert sorted(read, key=lambda r: r[0].outbox_id) == sorted(
        [(i, "pending", "") for i in items], key=lambda r: r[0].outbox_id
    )


def test_given_no_player_when_reading_the_state_then_it_is_none(players):
    assert players.state(PLAYER) is None


def test_given_a_committed_state_when_reading_the_state_then_it_has_its_version(players):
    state = rich_state()

    players.commit(commit(state), NOW, DEDUPE)

    assert players.state(PLAYER) == state.model_copy(update={"version": 1})


def test_given_a_pending_outbox_item_when_marked_then_status_and_result_change(players):
    item = send_item()
    players.commit(commit(outbox=[item]), NOW, DEDUPE)

    players.mark_outbox(PLAYER, item.outbox_id, "done", "email welcome: sent as m-1")

    assert players.outbox_status(PLAYER, item.outbox_id) == "done"
    assert players.outbox(PLAYER) == [(item, "done", "email welcome: sent as m-1")]


def test_given_a_pending_outbox_item_when_asking_its_status_then_it_is_pending(players):
    item = send_item()
    players.commit(commit(outbox=[item]), NOW, DEDUPE)

    assert players.outbox_status(PLAYER, item.outbox_id) == "pending"


def test_given_no_such_outbox_item_when_asking_its_status_then_it_is_none(players):
    assert players.outbox_status(PLAYER, "no-such-id") is None


# --- the stream dispatch reads ----------------------------------------------------------


def test_given_a_commit_with_outbox_items_when_reading_the_stream_then_each_has_one_insert(
    players, ddb, client
):
    items = [send_item("evt-1"), timer_item("evt-1")]

    players.commit(
        commit(event_ids=["evt-1"], ledger=[ledger_entry("evt-1")], outbox=items), NOW, DEDUPE
    )

    outbox_inserts = [
        r
        for r in stream_records(ddb, client("dynamodbstreams"))
        if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["sk"]["S"].startswith("OUTBOX#")
    ]
    assert len(outbox_inserts) == len(items)
    parsed = [parse_outbox_image(r["dynamodb"]["NewImage"]) for r in outbox_inserts]
    assert sorted(parsed, key=lambda i: i.outbox_id) == sorted(items, key=lambda i: i.outbox_id)


def test_given_a_marked_outbox_item_when_reading_the_stream_then_the_mark_is_a_modify(
    players, ddb, client
):
    item = send_item()
    players.commit(commit(outbox=[item]), NOW, DEDUPE)

    players.mark_outbox(PLAYER, item.outbox_id, "done", "sent")

    events = [
        r["eventName"]
        for r in stream_records(ddb, client("dynamodbstreams"))
        if r["dynamodb"]["Keys"]["sk"]["S"] == f"OUTBOX#{item.outbox_id}"
    ]
    assert events == ["INSERT", "MODIFY"]


# --- error translation ------------------------------------------------------------------


def test_given_a_transaction_conflict_when_committing_then_conflict_error(stubbed):
    store, stubber = stubbed_store(stubbed)
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"}]},
    )

    with pytest.raises(ConflictError):
        store.commit(commit(), NOW, DEDUPE)


def test_given_a_throttled_cancellation_when_committing_then_throttled_error(stubbed):
    store, stubber = stubbed_store(stubbed)
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": "None"}, {"Code": "ThrottlingError"}]},
    )

    with pytest.raises(ThrottledError):
        store.commit(commit(), NOW, DEDUPE)


def test_given_a_cancellation_for_invalid_input_when_committing_then_it_is_not_called_a_conflict(
    stubbed,
):
    store, stubber = stubbed_store(stubbed)
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": "ValidationError"}]},
    )

    with pytest.raises(ClientError) as raised:
        store.commit(commit(), NOW, DEDUPE)

    assert not isinstance(raised.value, ConflictError | ThrottledError)


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "TransactionInProgressException",
    ],
)
def test_given_aws_asks_to_slow_down_when_committing_then_throttled_error(stubbed, code):
    store, stubber = stubbed_store(stubbed)
    stubber.add_client_error("transact_write_items", service_error_code=code, http_status_code=400)

    with pytest.raises(ThrottledError):
        store.commit(commit(), NOW, DEDUPE)


def test_given_throughput_exceeded_when_loading_then_throttled_error(stubbed):
    store, stubber = stubbed_store(stubbed)
    stubber.add_client_error(
        "batch_get_item",
        service_error_code="ProvisionedThroughputExceededException",
        http_status_code=400,
    )

    with pytest.raises(ThrottledError):
        store.load(PLAYER, ["evt-1"])


def test_given_a_missing_table_when_loading_then_the_aws_error_is_not_disguised(ddb):
    store = PlayerStore("no-such-table", ddb)

    with pytest.raises(ClientError) as raised:
        store.load(PLAYER, [])

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --- capacity ---------------------------------------------------------------------------


@pytest.mark.parametrize(("eventual", "units"), [(False, 3.0), (True, 0.5)])
def test_given_a_load_when_metered_then_each_key_costs_a_read_unit_or_half_when_eventual(
    ddb, player_table, eventual, units
):
    # DynamoDB's rule from item sizes (moto reports 1 per key whatever the consistency):
    # a small state item and two absent markers are three keys; an eventual load reads the
    # state item alone (a duplicate is caught by its marker's put-if-absent instead).
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=eventual)
    store.commit(commit(event_ids=[]), NOW, DEDUPE)

    store.load(PLAYER, ["evt-1", "evt-2"])

    assert meter.read_units["load"] == units


def test_given_a_load_against_moto_when_metered_then_read_units_are_recorded(players, meter):
    players.load(PLAYER, ["evt-1", "evt-2"])

    assert meter.read_units["load"] > 0


def test_given_a_commit_of_small_items_when_metered_then_each_write_costs_2_units(players, meter):
    # moto reports no capacity for transactions, so the meter prices them from item sizes.
    players.commit(commit(event_ids=["evt-1", "evt-2"]), NOW, DEDUPE)

    assert meter.write_units["commit"] == 3 * 2


@pytest.mark.parametrize(
    ("value_bytes", "units"), [(1, 2), (1022, 2), (1023, 4), (2046, 4), (2047, 6)]
)
def test_given_a_transactional_put_when_metered_then_it_costs_2_units_per_started_kb(
    value_bytes, units
):
    meter = CapacityMeter()
    # Attribute name "pk" (2 bytes) + value: 1022 bytes of value make exactly 1 KB.
    item = {"pk": {"S": "x" * value_bytes}}

    meter.record_transaction("commit", [{"Put": {"TableName": PLAYER_TABLE, "Item": item}}])

    assert meter.write_units["commit"] == units


def test_given_a_commit_with_an_encoded_state_over_1kb_when_metered_then_it_costs_4_units(
    players, meter
):
    # Hash-like rule ids do not compress: the encoded state crosses 1 KB.
    fires = {hashlib.sha256(str(i).encode()).hexdigest(): [NOW] for i in range(24)}
    big = rich_state().model_copy(update={"rule_fires": fires})
    encoded = encode_state(big)
    assert 1024 < len(encoded) < 1900

    players.commit(commit(big, event_ids=["evt-1"]), NOW, DEDUPE)

    # In a transaction with the event's marker: 2 x 2 KB for the state, 2 for the marker.
    assert meter.write_units["commit"] == 6


def test_given_a_commit_of_the_state_alone_when_written_then_it_is_one_put_at_1_unit_per_kb(
    players, meter, ddb
):
    fires = {hashlib.sha256(str(i).encode()).hexdigest(): [NOW] for i in range(24)}
    big = rich_state().model_copy(update={"rule_fires": fires})

    players.commit(commit(big, event_ids=[]), NOW, DEDUPE)

    assert meter.write_units["commit"] == 2  # not a transaction: 1 WCU per started KB
    assert players.state(PLAYER).rule_fires == big.rule_fires
    # Still version-checked: a second writer of version 1 loses.
    with pytest.raises(ConflictError):
        players.commit(commit(big, expected_version=0, event_ids=[]), NOW, DEDUPE)


def test_given_a_state_of_several_kb_of_json_when_committed_then_compression_keeps_it_at_2_units(
    players, meter
):
    # Repetitive state (ids and times the codec's dictionary knows) shrinks below 1 KB.
    fires = {f"welcome-day{i:02}-tutorial": [NOW] for i in range(60)}
    big = rich_state().model_copy(update={"rule_fires": fires})
    assert len(big.model_dump_json(exclude_defaults=True)) > 3 * 1024

    players.commit(commit(big, event_ids=[]), NOW, DEDUPE)

    assert meter.write_units["commit"] == 1  # the state item alone: one PutItem
    assert players.state(PLAYER) == big.model_copy(update={"version": 1})


# --- eventually consistent engine reads ---------------------------------------------------


def _expect_load(stubber: Stubber, consistent: bool) -> None:
    stubber.add_response(
        "batch_get_item",
        {"Responses": {PLAYER_TABLE: []}},
        {
            "RequestItems": {PLAYER_TABLE: {"Keys": ANY, "ConsistentRead": consistent}},
            "ReturnConsumedCapacity": "TOTAL",
        },
    )


def test_given_eventual_reads_when_loading_then_state_and_markers_are_read_eventually_consistent(
    stubbed,
):
    client, stubber = stubbed("dynamodb")
    store = PlayerStore(PLAYER_TABLE, client, eventual_reads=True)
    _expect_load(stubber, consistent=False)

    store.load(PLAYER, ["evt-1"])

    stubber.assert_no_pending_responses()


def test_given_eventual_reads_when_a_commit_lost_a_race_then_loads_are_exact_until_one_commits(
    stubbed,
):
    client, stubber = stubbed("dynamodb")
    store = PlayerStore(PLAYER_TABLE, client, eventual_reads=True)
    _expect_load(stubber, consistent=False)
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": "ConditionalCheckFailed"}]},
    )
    _expect_load(stubber, consistent=True)
    _expect_load(stubber, consistent=True)
    stubber.add_response("transact_write_items", {})
    _expect_load(stubber, consistent=False)

    store.load(PLAYER, ["evt-1"])
    with pytest.raises(ConflictError):
        store.commit(commit(), NOW, DEDUPE)
    store.load(PLAYER, ["evt-1"])  # after the lost race: exact
    store.load(PLAYER, ["evt-1"])  # still exact (a reorder wake-up loads twice)
    store.commit(commit(), NOW, DEDUPE)
    store.load(PLAYER, ["evt-1"])  # and once a commit went through, eventual again

    stubber.assert_no_pending_responses()


def test_given_a_stale_read_that_missed_a_marker_when_the_event_is_committed_again_then_refused(
    ddb, player_table
):
    store = PlayerStore(player_table, ddb, eventual_reads=True)
    store.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)
    current = store.load(PLAYER, ["evt-1"]).state

    # As if the eventually consistent read had returned the state but not the marker.
    with pytest.raises(ConflictError):
        store.commit(commit(current, expected_version=1, event_ids=["evt-1"]), NOW, DEDUPE)

    assert store.load(PLAYER, ["evt-1"]).seen_event_ids == {"evt-1"}
    assert store.state(PLAYER) == current
