"""An eventual load reads the state item alone: a duplicate is caught by its marker's
put-if-absent, the commit is cancelled without a trace in the stream, and the reload after
it reads the markers exactly (shared/local/moto_fixes.py makes moto's stream do as
DynamoDB's does)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import PlayerStore
from shared.domain.core.state import PlayerState
from shared.domain.players.contacts import ContactClaim, contact_key
from shared.errors import ConflictError
from tests.adapters.builders import NOW, PLAYER, commit

DEDUPE = timedelta(days=400)


def _stream(ddb, client, table):
    streams = client("dynamodbstreams")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    def read():
        nonlocal iterator
        resp = streams.get_records(ShardIterator=iterator)
        iterator = resp["NextShardIterator"]
        return [r["dynamodb"]["Keys"]["sk"]["S"] for r in resp["Records"]]

    return read


def test_a_duplicate_after_an_eventual_load_is_refused_by_its_marker_then_found_exactly(
    ddb, client, player_table
):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    read_stream = _stream(ddb, client, player_table)
    store.commit(commit(event_ids=["evt-1"]), NOW, DEDUPE)
    assert "EVENT#evt-1" in read_stream()

    # The eventual load does not read markers: evt-1 looks new, and the commit that
    # would apply it again is cancelled by the marker's condition.
    first = store.load(PLAYER, ["evt-1"])
    assert first.seen_event_ids == set()
    state = first.state.model_copy(update={"points_balance": 99})
    with pytest.raises(ConflictError):
        store.commit(
            commit(state, expected_version=first.state.version, event_ids=["evt-1"]),
            NOW,
            DEDUPE,
        )
    # Nothing of the cancelled commit reaches the stream (as in DynamoDB).
    assert read_stream() == []

    # After the conflict the load is consistent and reads the markers: a duplicate.
    again = store.load(PLAYER, ["evt-1"])
    assert again.seen_event_ids == {"evt-1"}
    assert store.state(PLAYER).points_balance == 0

    # A later commit that goes through is in the stream as usual.
    store.commit(
        commit(again.state, expected_version=again.state.version, event_ids=["evt-2"]),
        NOW,
        DEDUPE,
    )
    assert "EVENT#evt-2" in read_stream()


def test_a_merged_players_load_reads_its_markers_even_when_eventual(ddb, player_table):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    alias = PlayerState.new(PLAYER).model_copy(update={"merged_into": "p-survivor"})
    store.commit(commit(alias, event_ids=["dep-1"]), NOW, DEDUPE)

    # Its events are forwarded to the survivor, whose commit cannot see these markers.
    assert store.load(PLAYER, ["dep-1"]).seen_event_ids == {"dep-1"}


def test_an_eventual_load_reads_the_markers_of_likely_duplicates_only(ddb, player_table):
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=True)
    store.commit(commit(event_ids=["spin.r-1", "evt-1"]), NOW, DEDUPE)

    # The bus's echo of a spin (or a redelivered message) is checked up front ...
    loaded = store.load(PLAYER, ["spin.r-1", "evt-1"], likely_seen=["spin.r-1"])
    assert loaded.seen_event_ids == {"spin.r-1"}
    # ... at 0.5 RU a key: the state item and that one marker.
    assert meter.read_units["load"] == 1.0


def test_an_eventual_load_counts_contacts_as_nobodys_and_a_rivals_claim_reloads_exactly(
    ddb, player_table
):
    key = contact_key("email", "anna@example.org")
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=True)
    first = ContactClaim(key, "email", "p-first", NOW)
    store.commit(replace(commit(player_id="p-first", event_ids=[]), contacts=[first]), NOW, DEDUPE)

    # A registration's eventual load reads the state item alone (0.5 RU), not the index:
    loaded = store.load(PLAYER, ["reg-1"], contacts=[key])
    assert loaded.state.contact_owners == {key: ""}
    assert meter.read_units["load"] == 0.5
    # so its decision claims the contact, which p-first has: the commit is cancelled ...
    mine = ContactClaim(key, "email", PLAYER, NOW)
    with pytest.raises(ConflictError):
        store.commit(replace(commit(event_ids=["reg-1"]), contacts=[mine]), NOW, DEDUPE)
    # ... and the reload reads the owner exactly, so the retry records a duplicate.
    assert store.load(PLAYER, ["reg-1"], contacts=[key]).state.contact_owners == {key: "p-first"}
