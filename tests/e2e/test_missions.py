"""The starter weekly mission through the real handlers: opt in by event, complete once,
the reward paid once and engage.mission.completed published once, replays included."""

from tests.e2e.test_invariants import registered
from tests.e2e.test_segments_lifecycle import published

T = "2026-11-24T09:00:00+00:00"


def joined(player, event_id="join"):
    return {
        "source": "casino.example",
        "detail-type": "player.mission_joined",
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": "2026-11-24T09:01:00+00:00",
            "mission_id": "weekly-explorer",
        },
    }


def played(player, n, game):
    return {
        "source": "casino.example",
        "detail-type": "game.round_finished",
        "detail": {
            "player_id": player,
            "event_id": f"round-{n}",
            "occurred_at": f"2026-11-24T10:0{n}:00+00:00",
            "round_id": f"r-{n}",
            "game_id": game,
            "category": "slots",
            "stake": 1,
            "payout": 0,
            "currency": "EUR",
        },
    }


def test_the_weekly_explorer_completes_once_and_pays_once_even_when_events_are_replayed(started):
    rt = started.runtime
    events = [
        registered("p-m1"),
        joined("p-m1"),
        played("p-m1", 1, "book"),
        played("p-m1", 2, "reels"),
        played("p-m1", 3, "crash"),
        played("p-m1", 4, "roulette"),
    ]
    rt.put_events(events)
    rt.pump()
    rt.put_events(events)  # at-least-once delivery: everything again
    rt.pump()

    state = rt.players.state("p-m1")
    assert state is not None
    progress = state.missions["weekly-explorer"]
    assert progress.completions == 1
    assert progress.period == "2026-11-23"
    mission_lines = [e for e in rt.players.ledger("p-m1") if e.rule_id == "mission:weekly-explorer"]
    assert [e.points for e in mission_lines] == [100]
    done = published(started, "p-m1", "engage.mission.completed")
    assert [(d["mission_id"], d["period"]) for d in done] == [("weekly-explorer", "2026-11-23")]


def test_without_joining_the_opt_in_mission_counts_nothing(started):
    rt = started.runtime
    rt.put_events([registered("p-m2"), *(played("p-m2", i, f"g{i}") for i in range(1, 4))])
    rt.pump()
    state = rt.players.state("p-m2")
    assert state is not None
    assert "weekly-explorer" not in state.missions
