"""Leaderboard entries named by the commit (`lb`) and written from the stream (board_index.py)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.adapters.board_index import BoardIndex
from shared.adapters.board_items import (
    BOARD_STREAM_FILTER,
    CHANGED_BOARDS_ATTRIBUTE,
    add_board_index,
    board_sk,
)
from shared.adapters.capacity import CapacityMeter
from shared.adapters.player_store import STATE_SK, Commit, PlayerStore, player_pk
from shared.domain.core.state import PlayerState
from shared.domain.game.leaderboards import (
    KEEP_AFTER_CLOSE,
    BoardEntry,
    BoardScore,
    shard_of,
    sort_key,
    state_key,
)
from shared.domain.language.patterns import compile_pattern
from shared.local.lambda_context import LambdaContext
from tests.adapters.builders import NOW, PLAYER
from tests.adapters.conftest import PLAYER_TABLE, _key_schema, stored_sort_keys

PERIOD = "2026-03-23"
ENDS = NOW + timedelta(days=2)


@pytest.fixture
def table(ddb: Any) -> str:
    ddb.create_table(TableName=PLAYER_TABLE, **add_board_index(_key_schema()))
    return PLAYER_TABLE


def _commit(players: PlayerStore, version: int, score: str, boards: tuple[str, ...] = ("wins",)):
    """A commit at `version` whose state holds `score` on each board, naming their entries."""
    state = PlayerState.new(PLAYER)
    entries = []
    for board_id in boards:
        held = BoardScore(score=Decimal(score), reached_at=NOW, ends_at=ENDS)
        state.boards[state_key(board_id, PERIOD)] = held
        entries.append(
            BoardEntry(
                board_id=board_id,
                period=PERIOD,
                player_id=PLAYER,
                score=held.score,
                reached_at=NOW,
                shard=shard_of(PLAYER, 4),
                keep_until=ENDS + KEEP_AFTER_CLOSE,
            )
        )
    players.commit(
        Commit(
            player_id=PLAYER,
            state=state,
            expected_version=version,
            event_ids=[],
            ledger=[],
            outbox=[],
            boards=entries,
        ),
        NOW,
        timedelta(days=1),
    )


def _state_item(ddb: Any) -> dict[str, Any]:
    key = {"pk": {"S": player_pk(PLAYER)}, "sk": {"S": STATE_SK}}
    item: dict[str, Any] = ddb.get_item(TableName=PLAYER_TABLE, Key=key)["Item"]
    return item


def _record(item: dict[str, Any], event: str = "MODIFY") -> dict[str, Any]:
    """A Lambda stream record of the item: binary attributes base64-encoded."""
    image = {
        k: {"B": base64.b64encode(bytes(v["B"])).decode()} if "B" in v else v
        for k, v in item.items()
    }
    return {"eventName": event, "dynamodb": {"Keys": {"sk": item["sk"]}, "NewImage": image}}


def _entry(ddb: Any, board_id: str = "wins") -> dict[str, Any] | None:
    key = {"pk": {"S": player_pk(PLAYER)}, "sk": {"S": board_sk(board_id, PERIOD)}}
    item: dict[str, Any] | None = ddb.get_item(TableName=PLAYER_TABLE, Key=key).get("Item")
    return item


def test_a_commit_that_changes_a_score_names_the_entry_and_is_one_put_of_the_state(ddb, table):
    meter = CapacityMeter()
    _commit(PlayerStore(table, ddb, meter), 0, "12", boards=("wins", "daily"))

    assert stored_sort_keys(ddb) == [STATE_SK]  # no entry item in the commit
    shard = shard_of(PLAYER, 4)
    named = _state_item(ddb)[CHANGED_BOARDS_ATTRIBUTE]["S"]
    assert named == f"wins#{PERIOD}#{shard} daily#{PERIOD}#{shard}"
    assert meter.write_units == {"commit": 1.0}  # no transaction doubling the state item


def test_the_index_writes_each_named_entry_from_a_lambda_record_with_its_state_version(ddb, table):
    players = PlayerStore(table, ddb)
    _commit(players, 0, "12", boards=("wins", "daily"))
    meter = CapacityMeter()

    done = BoardIndex(table, ddb, meter).project_records([_record(_state_item(ddb), "INSERT")])

    assert (done.written, done.stale) == (2, 0)
    entry = _entry(ddb)
    assert entry is not None
    assert entry["gsi1pk"] == {"S": f"LB#wins#{PERIOD}#{shard_of(PLAYER, 4)}"}
    assert entry["gsi1sk"] == {"S": sort_key(Decimal(12), NOW, PLAYER)}
    assert entry["expires_at"] == {"N": str(int((ENDS + KEEP_AFTER_CLOSE).timestamp()))}
    assert entry["v"] == {"N": "1"}
    assert meter.write_units == {"board index": 2.0}


def test_a_record_replayed_after_a_newer_one_does_not_move_the_entry_back(ddb, table):
    players = PlayerStore(table, ddb)
    index = BoardIndex(table, ddb)
    _commit(players, 0, "5")
    older = _state_item(ddb)
    _commit(players, 1, "9")
    index.project_image(_state_item(ddb))

    done = index.project_image(older)  # a retried batch brings the older record again

    assert (done.written, done.stale) == (0, 1)
    entry = _entry(ddb)
    assert entry is not None
    assert entry["gsi1sk"] == {"S": sort_key(Decimal(9), NOW, PLAYER)}


def test_an_entry_whose_score_is_no_longer_in_the_image_is_skipped(ddb, table):
    _commit(PlayerStore(table, ddb), 0, "5")
    item = _state_item(ddb)
    item[CHANGED_BOARDS_ATTRIBUTE] = {"S": f"gone#{PERIOD}#0 wins#{PERIOD}#1"}

    done = BoardIndex(table, ddb).project_image(item)

    assert (done.written, done.stale) == (1, 0)
    assert _entry(ddb, "gone") is None


def test_the_stream_filter_passes_state_records_that_name_entries_only(ddb, table):
    players = PlayerStore(table, ddb)
    _commit(players, 0, "5")
    named = _state_item(ddb)
    players.commit(
        Commit(
            player_id=PLAYER,
            state=PlayerState.new(PLAYER),
            expected_version=1,
            event_ids=[],
            ledger=[],
            outbox=[],
        ),
        NOW,
        timedelta(days=1),
    )
    unnamed = _state_item(ddb)
    entry_item = {**named, "sk": {"S": board_sk("wins", PERIOD)}}
    matches = compile_pattern(BOARD_STREAM_FILTER, path="filter").matches

    assert CHANGED_BOARDS_ATTRIBUTE not in unnamed
    assert matches(_record(named))
    assert matches(_record(named, "INSERT"))
    assert not matches(_record(unnamed))
    assert not matches(_record(entry_item))
    assert not matches(_record(named, "REMOVE"))


def test_the_handler_reports_a_record_it_could_not_index_and_indexes_the_rest(
    ddb, table, monkeypatch
):
    from functions.leaderboard_index import handler as index_function
    from shared import leaderboard_wiring

    monkeypatch.setenv("ENGAGE_PLAYER_TABLE", table)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    leaderboard_wiring.reset()
    _commit(PlayerStore(table, ddb), 0, "7")
    good = {**_record(_state_item(ddb)), "eventSource": "aws:dynamodb"}
    good["dynamodb"]["SequenceNumber"] = "200"
    broken = json_copy(good)
    broken["dynamodb"]["NewImage"]["sz"] = {"B": base64.b64encode(b"\x09junk").decode()}
    broken["dynamodb"]["SequenceNumber"] = "100"

    result = index_function.handler(
        {"Records": [broken, good]}, LambdaContext("engage-leaderboard-index")
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert _entry(ddb) is not None
    leaderboard_wiring.reset()


def json_copy(record: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(record))
    return copied


def test_a_rebuild_indexes_every_score_of_a_board_the_config_still_has(ddb, table):
    boards = {
        state_key("wins", PERIOD): BoardScore(score=Decimal(3), reached_at=NOW, ends_at=ENDS),
        state_key("gone", PERIOD): BoardScore(score=Decimal(4), reached_at=NOW, ends_at=ENDS),
    }

    done = BoardIndex(table, ddb).index_scores(PLAYER, 7, boards, {"wins": 4})

    assert (done.written, done.stale) == (1, 0)
    entry = _entry(ddb)
    assert entry is not None
    assert entry["gsi1pk"] == {"S": f"LB#wins#{PERIOD}#{shard_of(PLAYER, 4)}"}
    assert entry["v"] == {"N": "7"}
    assert _entry(ddb, "gone") is None
