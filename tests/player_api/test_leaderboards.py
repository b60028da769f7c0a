"""Player API leaderboard routes: top N with ranks, and one player's score and rank."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shared.adapters.player_store import Commit
from shared.domain.core.state import PlayerState
from shared.domain.game.leaderboards import (
    KEEP_AFTER_CLOSE,
    BoardEntry,
    BoardScore,
    shard_of,
    state_key,
)
from shared.player_api import wiring as player_api_wiring

from .conftest import call

BOARD = {
    "board_id": "daily-wins",
    "name": "Daily big wins",
    "on": ["game.round_finished"],
    "score": {"kind": "sum", "of": "win_multiplier"},
    "window": {"every": "day", "time_zone": "UTC"},
    "shards": 4,
    "top_n": 2,
}


@pytest.fixture
def boards(stack):
    player_api_wiring.install(
        player_api_wiring.build_player_api(
            player_table=stack.resources.player_table,
            clients=stack.runtime.clients,
            clock=stack.clock,
            config_table=stack.resources.config_table,
        )
    )
    stack.runtime.config.put_game("leaderboard", BOARD, actor="test", now=stack.clock.now())
    stack.runtime.config.publish()
    now = stack.clock.now()
    period = now.date().isoformat()
    for player, score in (("p-a", "30"), ("p-b", "20"), ("p-c", "5")):
        # The score in the state, and the entry the commit names: the stream writes it.
        held = BoardScore(score=Decimal(score), reached_at=now, ends_at=now + timedelta(days=1))
        state = PlayerState.new(player)
        state.boards[state_key("daily-wins", period)] = held
        stack.runtime.players.commit(
            Commit(
                player_id=player,
                state=state,
                expected_version=0,
                event_ids=[f"e-{player}"],
                ledger=[],
                outbox=[],
                boards=[
                    BoardEntry(
                        board_id="daily-wins",
                        period=period,
                        player_id=player,
                        score=held.score,
                        reached_at=now,
                        shard=shard_of(player, 4),
                        keep_until=held.ends_at + KEEP_AFTER_CLOSE,
                    )
                ],
            ),
            now=now,
            dedupe_for=timedelta(days=1),
        )
    stack.runtime.pump()
    return stack


def test_the_top_of_the_current_period_comes_with_ranks_and_the_board_s_default_size(boards):
    answer = call("GET", "/v1/leaderboards/daily-wins")
    assert answer.status == 200
    body = answer.json
    assert body["period"] == boards.clock.now().date().isoformat()
    assert [(e["rank"], e["player_id"], Decimal(str(e["score"]))) for e in body["entries"]] == [
        (1, "p-a", 30),
        (2, "p-b", 20),
    ]


def test_a_player_sees_their_score_and_rank(boards):
    body = call("GET", "/v1/players/p-c/leaderboards/daily-wins").json
    assert (body["on_board"], body["rank"], body["approximate"]) == (True, 3, False)


def test_a_player_not_on_the_board_is_told_so(boards):
    body = call("GET", "/v1/players/p-z/leaderboards/daily-wins").json
    assert body["on_board"] is False
    assert body["rank"] is None


def test_an_unknown_board_is_a_404(boards):
    assert call("GET", "/v1/leaderboards/nope").status == 404


def test_the_routes_are_in_the_openapi_document(boards):
    paths = call("GET", "/v1/openapi.json").json["paths"]
    assert "/v1/leaderboards/{board_id}" in paths
    assert "/v1/players/{player_id}/leaderboards/{board_id}" in paths


@pytest.mark.parametrize("period", ["yesterday", "2026-13-01", "2026-11", "20261124"])
def test_a_period_that_cannot_name_one_of_the_boards_periods_is_a_400(boards, period):
    for path in ("/v1/leaderboards/daily-wins", "/v1/players/p-a/leaderboards/daily-wins"):
        answer = call("GET", path, query={"period": period})
        assert (answer.status, answer.json["error"]) == (400, "bad_request"), (path, period)


def test_a_well_formed_past_period_is_answered_even_if_nobody_scored(boards):
    answer = call("GET", "/v1/leaderboards/daily-wins", query={"period": "2020-01-01"})
    assert (answer.status, answer.json["entries"]) == (200, [])
