"""Operator events deduplicated by the state item's seen window (adapters/seen_window.py):
no EVENT# marker, a SEEN# page per few events, and exactly the same answers."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import PlayerStore
from shared.adapters.seen_window import RECENT_KEEP, RECENT_MAX, page_sk, settled_page_sk
from shared.errors import ConflictError
from tests.adapters.builders import NOW, PLAYER, commit, ledger_entry
from tests.adapters.conftest import PLAYER_TABLE, stored_sort_keys

DEDUPE = timedelta(days=400)


def _apply(store: PlayerStore, event_id: str, minutes: int, player_id: str = PLAYER) -> bool:
    """Load and, unless already applied, commit one event at NOW + `minutes`, as the engine
    does (a conflict reloads); True when it was applied."""
    when = {event_id: NOW + timedelta(minutes=minutes)}
    for _ in range(3):
        loaded = store.load(player_id, [event_id], occurred=when)
        if event_id in loaded.seen_event_ids:
            return False
        state = loaded.state.model_copy(update={"points_balance": loaded.state.points_balance + 1})
        try:
            store.commit(
                replace(
                    commit(
                        state,
                        expected_version=loaded.state.version,
                        event_ids=[event_id],
                        player_id=player_id,
                    ),
                    event_times=when,
                ),
                NOW,
                DEDUPE,
            )
            return True
        except ConflictError:
            continue
    raise AssertionError("kept conflicting")


def test_a_live_event_writes_no_marker_and_its_redelivery_is_found_in_the_state_item(
    ddb, player_table
):
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=True)

    assert _apply(store, "evt-1", 0)

    assert stored_sort_keys(ddb) == ["STATE"]
    # One conditional PutItem of the state item: 1 WCU, not 2 for it + 2 for a marker.
    assert meter.write_units["commit"] == 1
    meter.read_units.clear()
    assert not _apply(store, "evt-1", 0)
    assert meter.read_units["load"] == 0.5  # the state item alone, eventually consistent


def test_the_oldest_events_move_to_a_page_of_their_day_where_a_late_duplicate_is_found(
    ddb, player_table
):
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=True)
    for n in range(RECENT_MAX + 1):
        assert _apply(store, f"evt-{n}", n)

    pages = [sk for sk in stored_sort_keys(ddb) if sk.startswith("SEEN#")]
    # The ninth loaded a window of eight and moved its seven oldest (all loaded).
    moved = RECENT_MAX + 1 - RECENT_KEEP
    assert pages == [settled_page_sk(NOW.date().isoformat(), RECENT_MAX, moved)]
    # A duplicate of a paged event reads its day's page, consistently ...
    meter.read_units.clear()
    assert not _apply(store, "evt-0", 0)
    assert meter.read_units["load"] == 0.5 + 1.0
    # ... and one still in the window, or newer than every paged one, does not.
    meter.read_units.clear()
    assert not _apply(store, f"evt-{RECENT_MAX}", RECENT_MAX)
    assert _apply(store, "evt-new", 60)
    assert meter.read_units["load"] == 0.5 + 0.5
    # A late event, older than the paged ones, reads the page and is applied.
    assert _apply(store, "evt-late", -60)
    assert store.state(PLAYER).points_balance == RECENT_MAX + 3


def test_a_page_of_digests_the_loaded_window_held_is_put_before_a_commit_of_one_put(
    ddb, player_table
):
    meter = CapacityMeter()
    store = PlayerStore(player_table, ddb, meter, eventual_reads=True)
    for n in range(RECENT_MAX):
        assert _apply(store, f"evt-{n}", n)
    meter.write_units.clear()

    assert _apply(store, f"evt-{RECENT_MAX}", RECENT_MAX)

    # The page (1 WU) and the state item alone (1 WU): no transaction doubling both.
    assert meter.write_units["commit"] == 2


def test_a_page_holding_the_event_being_applied_goes_into_the_commits_transaction(
    ddb, player_table
):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    minutes = {f"evt-{n}": 10 + n for n in range(RECENT_MAX)}
    for event_id, at in minutes.items():
        assert _apply(store, event_id, at)

    assert _apply(store, "evt-late", 0)  # older than all: it is among the moved
    minutes["evt-late"] = 0

    pages = [sk for sk in stored_sort_keys(ddb) if sk.startswith("SEEN#")]
    assert pages == [page_sk(NOW.date().isoformat(), RECENT_MAX + 1)]
    for event_id, at in minutes.items():
        assert not _apply(store, event_id, at)


def test_a_page_put_by_a_commit_that_then_failed_leaves_every_event_found_once(ddb, player_table):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    for n in range(RECENT_MAX):
        assert _apply(store, f"evt-{n}", n)
    ninth = f"evt-{RECENT_MAX}"
    when = {ninth: NOW + timedelta(minutes=RECENT_MAX)}
    attempt = replace(commit(expected_version=RECENT_MAX, event_ids=[ninth]), event_times=when)
    # What a commit that crashed after its page put leaves: the page, and the state still
    # at version 8 with all eight digests in its window.
    _, _, pages = store._commit_writes(attempt, NOW, DEDUPE)
    (page,) = [p for p in pages if p["sk"]["S"].startswith("SEEN#")]
    store._put_page("commit", page)

    assert _apply(store, ninth, RECENT_MAX)  # the retry builds the same page, already there
    assert [sk for sk in stored_sort_keys(ddb) if sk.startswith("SEEN#")] == [page["sk"]["S"]]
    for n in range(RECENT_MAX + 1):
        assert not _apply(store, f"evt-{n}", n)
    assert store.state(PLAYER).points_balance == RECENT_MAX + 1


def test_a_stale_eventual_read_of_the_window_fails_the_commit_and_the_reload_is_exact(
    ddb, player_table
):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    assert _apply(store, "evt-1", 0)
    stale = store.load(PLAYER, ["evt-2"], occurred={"evt-2": NOW})
    assert _apply(store, "evt-2", 1)  # another container applies it meanwhile

    with pytest.raises(ConflictError):
        store.commit(
            replace(
                commit(stale.state, expected_version=stale.state.version, event_ids=["evt-2"]),
                event_times={"evt-2": NOW},
            ),
            NOW,
            DEDUPE,
        )
    assert "evt-2" in store.load(PLAYER, ["evt-2"], occurred={"evt-2": NOW}).seen_event_ids


def test_an_item_from_before_windows_finds_its_events_by_their_markers(ddb, player_table):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    # As the previous release wrote it: a marker per event and no window on the state.
    store.commit(commit(event_ids=["old-1"]), NOW, DEDUPE)
    ddb.update_item(
        TableName=PLAYER_TABLE,
        Key={"pk": {"S": f"PLAYER#{PLAYER}"}, "sk": {"S": "STATE"}},
        UpdateExpression="REMOVE seen",
    )
    fresh = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)

    assert not _apply(fresh, "old-1", -5)
    assert _apply(fresh, "new-1", 5)
    # The window now says markers may exist until a day after that first commit.
    assert not _apply(PlayerStore(player_table, ddb, CapacityMeter()), "old-1", -5)
    assert "EVENT#new-1" not in stored_sort_keys(ddb)


def test_a_commit_the_store_did_not_load_for_reads_the_window_back(ddb, player_table):
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    assert _apply(store, "evt-1", 0)
    other = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    state = store.state(PLAYER)
    assert state is not None

    other.commit(
        replace(
            commit(state, expected_version=1, event_ids=["evt-2"], ledger=[ledger_entry("evt-2")]),
            event_times={"evt-2": NOW},
        ),
        NOW,
        DEDUPE,
    )

    seen = store.load(PLAYER, ["evt-1", "evt-2"], occurred={"evt-1": NOW, "evt-2": NOW})
    assert seen.seen_event_ids == {"evt-1", "evt-2"}
    with pytest.raises(ConflictError):  # and a wrong version is a conflict, not a write
        other.commit(replace(commit(state, expected_version=1, event_ids=["evt-3"])), NOW, DEDUPE)


_players = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 25), st.integers(-3 * 24 * 60, 3 * 24 * 60)),
        min_size=1,
        max_size=40,
    )
)
def test_the_window_answers_exactly_as_markers_would_in_any_order_of_events_and_repeats(
    ddb, player_table, deliveries
):
    # Each delivery: an event number (repeats are duplicates, with the same time as the
    # first) and a time in minutes over six days, so pages meet days and late events.
    player_id = f"p-{next(_players)}"
    store = PlayerStore(player_table, ddb, CapacityMeter(), eventual_reads=True)
    times: dict[int, int] = {}
    applied: set[int] = set()
    for number, minutes in deliveries:
        minutes = times.setdefault(number, minutes)
        was_new = _apply(store, f"evt-{number}", minutes, player_id)
        assert was_new == (number not in applied)
        applied.add(number)
    state = store.state(player_id)
    assert state is not None
    assert state.points_balance == len(applied)
