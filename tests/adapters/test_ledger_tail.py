"""Ledger lines in the state item's tail, moved to LEDGER#P# pages (ledger_tail.py)."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.capacity import CapacityMeter
from shared.adapters.lake_stream import rows_from_record
from shared.adapters.ledger_tail import (
    PAGE_LINES,
    PATH_KEY,
    LedgerTail,
    ledger_page_sk,
    line_id,
)
from shared.adapters.player_store import PlayerStore, ledger_sk
from shared.adapters.state_codec import (
    TAIL_KEY,
    decode_state_json,
    decode_stored,
    encode_state,
    pack,
)
from shared.domain.core.state import LedgerEntry, PlayerState, stable_id
from shared.errors import ConflictError
from tests.adapters.builders import NOW, PLAYER, commit, ledger_entry
from tests.adapters.conftest import PLAYER_TABLE, _key_schema, stored_sort_keys

DEDUPE = timedelta(days=7)
_tables = itertools.count()


def _line(n: int) -> LedgerEntry:
    """Line n; an even one has the id a rule's action derives (action n % 12: numbers 10
    and 11 are past what compact lines derive), an odd one an id of its own."""
    entry = ledger_entry(f"evt-{n:03}", occurred_at=NOW + timedelta(minutes=n), balance_after=n)
    if n % 2:
        return entry
    derived = stable_id(PLAYER, entry.event_id, entry.rule_id, str(n % 12))
    return entry.model_copy(update={"entry_id": derived})


def _play(players: PlayerStore, lines_per_commit: list[int]) -> list[LedgerEntry]:
    """Commit after commit, each booking the given number of lines; every line booked."""
    booked: list[LedgerEntry] = []
    for version, k in enumerate(lines_per_commit):
        new = [_line(len(booked) + i) for i in range(k)]
        state = PlayerState.new(PLAYER)
        players.commit(
            # No event id: no EVENT# marker, so a commit of the state alone is one put.
            commit(state, expected_version=version, event_ids=[], ledger=new),
            NOW,
            DEDUPE,
        )
        booked += new
    return booked


# --- pure -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=30))
def test_paging_keeps_every_line_once_in_booking_order_on_aligned_pages(batches: list[int]):
    tail, pages, n = LedgerTail(), [], 0
    for k in batches:
        moved, kept = tail.paged()
        pages += moved
        tail = kept.booked(_line(n + i) for i in range(k))
        n += k
        assert len(kept.lines) < PAGE_LINES  # only the loaded tail is paged, all of it

    ids = [line_id(line, PLAYER) for _, page in pages for line in page] + [
        line_id(line, PLAYER) for line in tail.lines
    ]
    assert ids == [_line(i).entry_id for i in range(n)]
    assert all(start % PAGE_LINES == 0 and len(page) == PAGE_LINES for start, page in pages)
    assert tail.end == n


def test_a_compact_line_leaves_out_the_player_and_defaults_and_reads_back_equal():
    entry = _line(1)
    (line,) = LedgerTail().booked([entry]).lines

    assert "player_id" not in line
    assert "kind" not in line  # "earn", the default
    assert line["entry_id"] == entry.entry_id  # not one an action's number derives
    assert LedgerTail(0, (line,)).entries(PLAYER) == [(0, entry)]


@pytest.mark.parametrize(("n", "derived"), [(0, True), (4, True), (18, True), (10, False)])
def test_a_line_of_a_rules_numbered_action_keeps_the_number_instead_of_its_id(
    n: int, derived: bool
):
    entry = _line(n)
    (line,) = LedgerTail().booked([entry]).lines

    assert ("entry_id" not in line) is derived
    assert (line.get(PATH_KEY) == n % 12) is derived
    assert line_id(line, PLAYER) == entry.entry_id
    assert LedgerTail(0, (line,)).entries(PLAYER) == [(0, entry)]


def test_a_codec_2_state_whose_lines_keep_their_ids_still_reads_and_is_rewritten_as_codec_3():
    entry = _line(0)
    data = json.loads(decode_state_json(encode_state(PlayerState.new(PLAYER))))
    data[TAIL_KEY] = {"start": 8, "lines": [compact_with_id(entry)]}
    old = pack(json.dumps(data), codec=2)

    state, tail = decode_stored(old)

    assert tail.entries(PLAYER) == [(8, entry)]
    assert encode_state(state, tail)[0] == 3
    assert decode_stored(encode_state(state, tail))[1] == tail


def compact_with_id(entry: LedgerEntry) -> dict[str, Any]:
    """A line as codec 2 kept it: every line with its id."""
    return entry.model_dump(mode="json", exclude_defaults=True, exclude={"player_id"})


# --- the store --------------------------------------------------------------------------


def test_lines_live_in_the_state_item_until_a_page_is_full_then_move_to_a_page(players, ddb):
    booked = _play(players, [1, 1, 1, 1, 1])

    keys = stored_sort_keys(ddb)
    # The fifth commit loaded four lines and put them on page 0 before its state.
    assert ledger_page_sk(0) in keys
    assert not [k for k in keys if k.startswith("LEDGER#") and not k.startswith("LEDGER#P#")]
    assert players.ledger(PLAYER) == sorted(booked, key=ledger_sk)


def test_a_commit_that_books_a_line_is_one_put_of_one_write_unit(ddb, player_table):
    meter = CapacityMeter()
    players = PlayerStore(player_table, ddb, meter)
    _play(players, [1, 1])

    assert meter.write_units == {"commit": 2.0}  # two commits, one unit each, no transaction


def test_a_page_written_before_a_commit_that_then_fails_is_read_once(players, ddb):
    booked = _play(players, [4])
    # What a commit that crashed after its page put leaves: page 0, and the state (version
    # 1) still holding the same four lines in its tail.
    players._put_page("commit", _page_item(players, 0))

    assert ledger_page_sk(0) in stored_sort_keys(ddb)
    assert players.ledger(PLAYER) == sorted(booked, key=ledger_sk)
    lines, cursor = players.ledger_page(PLAYER, limit=10)
    assert [e.entry_id for e in lines] == [e.entry_id for e in reversed(booked)]
    assert cursor is None


def _page_item(players: PlayerStore, start: int) -> dict[str, Any]:
    _, _, pages = players._commit_writes(
        commit(PlayerState.new(PLAYER), expected_version=1, event_ids=["p"]), NOW, DEDUPE
    )
    (page,) = [p for p in pages if p["sk"]["S"] == ledger_page_sk(start)]
    return page


@pytest.mark.parametrize("n", [0, 1], ids=["derived id", "kept id"])
def test_a_booked_line_in_the_tail_refuses_a_second_commit_of_it(players, n: int):
    _play(players, [n + 1])

    again = commit(PlayerState.new(PLAYER), expected_version=1, event_ids=["e"], ledger=[_line(n)])
    try:
        players.commit(again, NOW, DEDUPE)
        raise AssertionError("the line was booked twice")
    except ConflictError:
        pass
    assert len(players.ledger(PLAYER)) == n + 1


def _old_format_line(ddb: Any, table: str, entry: LedgerEntry) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"PLAYER#{PLAYER}"},
            "sk": {"S": ledger_sk(entry)},
            "entry": {"S": entry.model_dump_json()},
            "points": {"N": str(entry.points)},
        },
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=8),
    st.integers(0, 5),
    st.integers(1, 7),
)
def test_pages_of_the_ledger_list_every_line_once_newest_booked_first(
    ddb, batches: list[int], old: int, limit: int
):
    # A table per example: hypothesis runs them all inside one test's moto.
    table = f"players-{next(_tables)}"
    ddb.create_table(TableName=table, **_key_schema())
    players = PlayerStore(table, ddb)
    old_lines = [
        ledger_entry(f"old-{i}", occurred_at=NOW - timedelta(days=9 - i)) for i in range(old)
    ]
    for entry in old_lines:
        _old_format_line(ddb, table, entry)
    booked = _play(players, batches)

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        lines, cursor = players.ledger_page(PLAYER, limit=limit, after=cursor)
        assert len(lines) <= limit
        seen += [e.entry_id for e in lines]
        if cursor is None:
            break

    expected = [e.entry_id for e in reversed(booked)] + [e.entry_id for e in reversed(old_lines)]
    assert seen == expected
    assert sorted(e.entry_id for e in players.ledger(PLAYER)) == sorted(expected)


# --- the lake ---------------------------------------------------------------------------


def test_a_state_record_gives_the_lake_the_lines_its_commit_booked_and_a_page_gives_none(
    players, ddb
):
    _play(players, [3])
    players.commit(
        commit(
            PlayerState.new(PLAYER),
            expected_version=1,
            event_ids=["c-1"],
            ledger=[_line(3), _line(4)],
        ),
        NOW,
        DEDUPE,
    )
    state = ddb.get_item(TableName=PLAYER_TABLE, Key=_key("STATE"))["Item"]
    page = ddb.get_item(TableName=PLAYER_TABLE, Key=_key(ledger_page_sk(0)))
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": state}}

    rows = rows_from_record(record)

    assert [r.row_id for r in rows] == [f"ledger:{_line(n).entry_id}" for n in (3, 4)]
    assert "Item" not in page  # three lines then two: no page yet, the tail holds five
    # As a Lambda event carries it: the binary attribute base64-encoded.
    encoded = {**state, "sz": {"B": base64.b64encode(bytes(state["sz"]["B"])).decode()}}
    assert len(rows_from_record({"eventName": "MODIFY", "dynamodb": {"NewImage": encoded}})) == 2
    players.commit(
        commit(PlayerState.new(PLAYER), expected_version=2, event_ids=["c-2"]), NOW, DEDUPE
    )
    state = ddb.get_item(TableName=PLAYER_TABLE, Key=_key("STATE"))["Item"]
    assert rows_from_record({"eventName": "MODIFY", "dynamodb": {"NewImage": state}}) == []
    page = ddb.get_item(TableName=PLAYER_TABLE, Key=_key(ledger_page_sk(0)))["Item"]
    assert rows_from_record({"eventName": "INSERT", "dynamodb": {"NewImage": page}}) == []


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"PLAYER#{PLAYER}"}, "sk": {"S": sk}}
