"""Leaderboard entries on moto: named by the player's commit, written by the board index (as
from the stream), ranked across shards."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.adapters.board_index import BoardIndex
from shared.adapters.board_items import add_board_index
from shared.adapters.leaderboard_store import LeaderboardStore
from shared.adapters.player_store import STATE_SK, Commit, PlayerStore, player_pk
from shared.domain.core.state import PlayerState
from shared.domain.game.leaderboards import (
    KEEP_AFTER_CLOSE,
    BoardEntry,
    BoardScore,
    shard_of,
    state_key,
)
from tests.adapters.conftest import PLAYER_TABLE, _key_schema

T = datetime(2026, 3, 24, 12, 0, tzinfo=UTC)
SHARDS = 4


@pytest.fixture
def table(ddb: Any) -> str:
    ddb.create_table(TableName=PLAYER_TABLE, **add_board_index(_key_schema()))
    return PLAYER_TABLE


@pytest.fixture
def players(table: str, ddb: Any) -> PlayerStore:
    return PlayerStore(table, ddb)


@pytest.fixture
def boards(table: str, ddb: Any) -> LeaderboardStore:
    return LeaderboardStore(table, ddb)


def entry(player: str, score: str, at: datetime = T, shards: int = SHARDS) -> BoardEntry:
    return BoardEntry(
        board_id="weekly",
        period="2026-03-23",
        player_id=player,
        score=Decimal(score),
        reached_at=at,
        shard=shard_of(player, shards),
        keep_until=T + timedelta(days=40),
    )


def commit(players: PlayerStore, *entries: BoardEntry, version: int = 0) -> None:
    """Each entry's score committed in its player's state, then indexed as the stream would
    hand the state item to the board index."""
    for e in entries:
        state = PlayerState.new(e.player_id)
        state.boards[state_key(e.board_id, e.period)] = BoardScore(
            score=e.score, reached_at=e.reached_at, ends_at=e.keep_until - KEEP_AFTER_CLOSE
        )
        players.commit(
            Commit(
                player_id=e.player_id,
                state=state,
                expected_version=version,
                event_ids=[f"ev-{e.player_id}-{version}"],
                ledger=[],
                outbox=[],
                boards=[e],
            ),
            now=T,
            dedupe_for=timedelta(days=1),
        )
        index_state_item(players, e.player_id)


def index_state_item(players: PlayerStore, player_id: str) -> None:
    ddb, table = players._ddb, players._table
    key = {"pk": {"S": player_pk(player_id)}, "sk": {"S": STATE_SK}}
    BoardIndex(table, ddb).project_image(ddb.get_item(TableName=table, Key=key)["Item"])


def test_given_players_in_every_shard_when_reading_the_top_then_they_are_merged_by_score(
    players, boards
):
    commit(players, *(entry(f"p{i}", str(i)) for i in range(20)))
    top = boards.top("weekly", "2026-03-23", SHARDS, 5)
    assert [(p.rank, p.entry.player_id) for p in top] == [
        (1, "p19"),
        (2, "p18"),
        (3, "p17"),
        (4, "p16"),
        (5, "p15"),
    ]
    assert top[0].entry.score == Decimal(19)


def test_given_equal_scores_the_player_who_reached_it_first_ranks_higher(players, boards):
    commit(players, entry("late", "10", T + timedelta(seconds=1)), entry("early", "10", T))
    assert [p.entry.player_id for p in boards.top("weekly", "2026-03-23", SHARDS, 2)] == [
        "early",
        "late",
    ]


def test_a_score_update_replaces_the_player_s_one_entry(players, boards):
    commit(players, entry("a", "5"), entry("b", "7"))
    commit(players, entry("a", "9"), version=1)
    top = boards.top("weekly", "2026-03-23", SHARDS, 10)
    assert [(p.entry.player_id, p.entry.score) for p in top] == [("a", 9), ("b", 7)]


def test_my_rank_counts_everyone_above_me_in_every_shard(players, boards):
    commit(players, *(entry(f"p{i}", str(i)) for i in range(30)))
    mine = boards.rank("p10", "weekly", "2026-03-23", SHARDS)
    assert mine is not None
    assert (mine.rank, mine.approximate, mine.entry.score) == (20, False, 10)


def test_a_deep_rank_is_estimated_from_the_player_s_own_shard(players, boards):
    commit(players, *(entry(f"p{i}", str(i)) for i in range(60)))
    mine = boards.rank("p0", "weekly", "2026-03-23", SHARDS, exact_within=5)
    assert mine is not None
    assert mine.approximate
    # 59 players above; the estimate is shards x those above in p0's own shard.
    assert 20 <= mine.rank <= 120


def test_a_player_not_on_the_board_has_no_rank(players, boards):
    assert boards.rank("nobody", "weekly", "2026-03-23", SHARDS) is None


def test_a_period_is_settled_once_marked(boards):
    assert not boards.settled("weekly", "2026-03-23")
    boards.mark_settled("weekly", "2026-03-23", T, "3 prizes published")
    assert boards.settled("weekly", "2026-03-23")
