"""GET /v1/players/{id}/missions through the real handler on moto: status, %, steps."""

from datetime import timedelta

from tests.e2e.test_invariants import registered
from tests.e2e.test_missions import joined, played
from tests.player_api.conftest import call, seen
from tests.starter_config import publish_starter


def test_given_a_player_who_joined_and_played_two_games_then_the_mission_is_at_66_percent(stack):
    publish_starter(stack)
    stack.runtime.put_events(
        [registered("p-1001"), joined("p-1001"), played("p-1001", 1, "a"), played("p-1001", 2, "b")]
    )
    stack.runtime.pump()
    stack.clock.advance(timedelta(hours=2))

    answer = call("GET", "/v1/players/p-1001/missions")

    assert answer.status == 200
    [mission] = answer.json["missions"]
    assert mission["mission_id"] == "weekly-explorer"
    assert mission["status"] == "in_progress"
    assert mission["progress_percent"] == 66
    assert mission["steps"] == [
        {"step_id": "games", "name": "Play 3 different games", "value": "2", "target": "3"}
    ]
    assert mission["window_ends_at"].startswith("2026-11-29T22:00:00")  # Monday 00:00 in Kyiv


def test_given_a_player_who_joined_nothing_then_opt_in_missions_show_as_not_joined(stack):
    publish_starter(stack)
    seen(stack, "nobody")

    answer = call("GET", "/v1/players/nobody/missions")

    assert answer.status == 200
    assert [(m["status"], m["progress_percent"]) for m in answer.json["missions"]] == [
        ("not_joined", 0)
    ]


def test_the_missions_route_is_in_the_openapi_document(stack):
    answer = call("GET", "/v1/openapi.json")
    assert "/v1/players/{player_id}/missions" in answer.json["paths"]
