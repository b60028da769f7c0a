"""A daily tournament through the real handlers: scores -> close -> prizes paid once."""

from datetime import UTC, datetime, timedelta

from shared.adapters.leaderboard_store import LeaderboardStore
from shared.domain.game.leaderboards import INDEX_LAG, prize_event_id

T = "2026-11-24T10:00:00+00:00"
PERIOD = "2026-11-24"
BOARD = {
    "board_id": "daily-wins",
    "name": "Daily big wins",
    "on": ["game.round_finished"],
    "score": {"kind": "sum", "of": "win_multiplier"},
    "window": {"every": "day", "time_zone": "UTC"},
    "shards": 4,
    "prizes": [
        {"ranks": [1, 1], "then": [{"award_points": {"points": 500}}]},
        {"ranks": [2, 2], "then": [{"award_points": {"points": 100}}]},
    ],
}


def round_(player, event_id, stake, payout, at=T):
    return {
        "source": "casino.example",
        "detail-type": "game.round_finished",
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": at,
            "round_id": f"r-{event_id}",
            "game_id": "book",
            "category": "slots",
            "stake": stake,
            "payout": payout,
            "currency": "EUR",
        },
    }


def publish_board(stack, board=BOARD):
    store = stack.runtime.config
    store.put_game("leaderboard", board, actor="test", now=stack.clock.now())
    store.publish()


def prizes(stack, player):
    return [
        e.points for e in stack.runtime.players.ledger(player) if e.rule_id.startswith("board.")
    ]


def test_scores_rank_players_and_the_close_pays_each_prize_once(stack):
    publish_board(stack)
    rt = stack.runtime
    rt.put_events(
        [
            round_("p-a", "a1", "1", "30"),
            round_("p-b", "b1", "1", "20"),
            round_("p-c", "c1", "1", "5"),
            round_("p-a", "a1", "1", "30"),  # duplicate delivery: scored once
        ]
    )
    rt.pump()
    boards = LeaderboardStore(rt.resources.player_table, rt.clients.client("dynamodb"))
    top = boards.top("daily-wins", PERIOD, 4, 10)
    assert [(p.rank, p.entry.player_id, p.entry.score) for p in top] == [
        (1, "p-a", 30),
        (2, "p-b", 20),
        (3, "p-c", 5),
    ]

    rt.advance(timedelta(days=1))

    assert (prizes(stack, "p-a"), prizes(stack, "p-b"), prizes(stack, "p-c")) == ([500], [100], [])
    assert boards.settled("daily-wins", PERIOD)


def test_a_duplicated_prize_event_pays_once(stack):
    publish_board(stack)
    rt = stack.runtime
    rt.put_events([round_("p-a", "a1", "1", "30")])
    rt.pump()
    rt.advance(timedelta(days=1))
    again = {
        "source": "engage.leaderboard",
        "detail-type": "engage.leaderboard.prize",
        "detail": {
            "player_id": "p-a",
            "event_id": prize_event_id("daily-wins", PERIOD, "p-a"),
            "occurred_at": "2026-11-25T00:00:00+00:00",
            "board_id": "daily-wins",
            "period": PERIOD,
            "rank": 1,
            "score": 30,
        },
    }
    rt.put_events([again, {**again, "detail": {**again["detail"], "event_id": "other"}}])
    rt.pump()
    assert prizes(stack, "p-a") == [500]


def test_a_rerun_of_the_settle_publishes_nothing_new(stack):
    publish_board(stack)
    rt = stack.runtime
    rt.put_events([round_("p-a", "a1", "1", "30")])
    rt.pump()
    rt.advance(timedelta(days=1))
    assert rt.settle_boards()["prizes"] == 0
    assert prizes(stack, "p-a") == [500]


def test_a_late_round_after_the_close_does_not_move_the_settled_board(stack):
    publish_board(stack)
    rt = stack.runtime
    rt.put_events([round_("p-a", "a1", "1", "30")])
    rt.pump()
    rt.advance(timedelta(days=1))
    rt.put_events([round_("p-b", "b1", "1", "90", at="2026-11-24T23:00:00+00:00")])
    rt.pump()
    boards = LeaderboardStore(rt.resources.player_table, rt.clients.client("dynamodb"))
    assert [p.entry.player_id for p in boards.top("daily-wins", PERIOD, 4, 10)] == ["p-a"]


def test_the_settle_waits_for_the_index_a_minute_past_the_grace(stack):
    # Entries are written from the table's stream (board_index.py), about a second behind
    # their commits: the close is read INDEX_LAG after end + grace, not at it.
    publish_board(stack)
    rt = stack.runtime
    rt.put_events([round_("p-a", "a1", "1", "30")])
    rt.pump()
    boards = LeaderboardStore(rt.resources.player_table, rt.clients.client("dynamodb"))
    past_grace = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(minutes=5, seconds=30)

    rt.advance(past_grace - stack.clock.now())

    assert not boards.settled("daily-wins", PERIOD)
    assert prizes(stack, "p-a") == []
    rt.advance(INDEX_LAG)
    assert boards.settled("daily-wins", PERIOD)
    assert prizes(stack, "p-a") == [500]
