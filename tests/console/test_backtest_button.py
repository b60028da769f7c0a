"""The console's Backtest button: POST /api/backtest replays the local lake under the
published config and the draft in the editor; it writes nothing and needs only a viewer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from shared.adapters.lake_files import LocalLake
from shared.console import wiring as console_wiring
from shared.domain.outputs.lake import event_row
from shared.local.console_backtest import local_backtest
from shared.local.demo import START

from .conftest import call


def _envelope(detail_type: str, player: str, n: int, **detail: Any) -> dict[str, Any]:
    at = START + timedelta(hours=n)
    body = {"player_id": player, "event_id": f"e-{player}-{n}", "occurred_at": at.isoformat()}
    return {"source": "casino.example", "detail-type": detail_type, "detail": {**body, **detail}}


@pytest.fixture
def with_lake(stack, tmp_path):
    lake = LocalLake(tmp_path / "lake")
    rows = []
    for i, player in enumerate(("p-a", "p-b")):
        rows.append(
            _envelope(
                "player.registered",
                player,
                i,
                locale="en",
                time_zone="Europe/London",
                country="GB",
                email=f"{player}@example.org",
                consents={"email": True},
            )
        )
        rows.append(_envelope("player.logged_in", player, i + 3))
    lake.add(event_row(r) for r in rows)
    lake.flush()
    stack.runtime.lake = lake
    services = replace(console_wiring.services(), backtests=partial(local_backtest, stack.runtime))
    console_wiring.install(services)
    return stack


def _login_points(points: int) -> dict[str, Any]:
    return {
        "rule_id": "daily-login-points",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": points, "reason": "daily login"}}],
        "limit": {"per_player": 1, "per": "day"},
    }


def test_a_draft_rule_is_backtested_over_the_lake_and_the_difference_shown(with_lake):
    answer = call("POST", "/api/backtest", {"rule": _login_points(25)}, role="viewer")

    assert answer.status == 200, answer.text
    body = answer.json
    assert body["players"] == 2
    assert body["published"]["points_by_rule"]["daily-login-points"] == 20
    assert body["draft"]["points_by_rule"]["daily-login-points"] == 50
    assert body["changed_count"] == 2
    assert "points earned" in body["changed"][0]["differences"][0]


def test_the_next_draft_reuses_the_published_run_until_the_lake_changes(with_lake):
    first = call("POST", "/api/backtest", {"rule": _login_points(25)}).json
    second = call("POST", "/api/backtest", {"rule": _login_points(30)}).json
    with_lake.runtime.lake.add([event_row(_envelope("player.logged_in", "p-a", 9))])
    with_lake.runtime.lake.flush()
    third = call("POST", "/api/backtest", {"rule": _login_points(30)}).json

    assert not first["published"]["cached"]
    assert second["published"]["cached"]
    neutral = {"seconds": 0, "cached": None, "players_replayed": None}
    assert second["published"] | neutral == first["published"] | neutral
    assert second["draft"]["points_by_rule"]["daily-login-points"] == 60
    assert not third["published"]["cached"]  # a new lake row: the published run is redone
    assert third["events"] == first["events"] + 1


def test_a_backtest_writes_nothing_to_the_tables(with_lake):
    ddb = with_lake.runtime.clients.client("dynamodb")
    tables = ddb.list_tables()["TableNames"]
    before = {t: ddb.scan(TableName=t)["Count"] for t in tables}

    call("POST", "/api/backtest", {"rule": _login_points(25)})

    assert {t: ddb.scan(TableName=t)["Count"] for t in tables} == before


def test_a_draft_that_cannot_run_is_refused_with_the_field(with_lake):
    broken = {**_login_points(5), "then": [{"send": {"template": "nope", "channel": "email"}}]}

    answer = call("POST", "/api/backtest", {"rule": broken})

    assert answer.status == 422
    assert "no email template 'nope'" in answer.field_errors["rule.daily-login-points"]


def test_a_request_with_neither_rule_nor_config_is_refused(with_lake):
    answer = call("POST", "/api/backtest", {"from": "2026-11-24"})

    assert answer.status == 422
    assert "give either 'rule'" in answer.field_errors["body"]


def test_without_a_lake_the_route_does_not_exist(stack):
    answer = call("POST", "/api/backtest", {"rule": _login_points(5)})

    assert answer.status == 404


@pytest.fixture
def explaining(with_lake):
    from shared.local.console_backtest import local_explain

    services = replace(
        console_wiring.services(), explains=partial(local_explain, with_lake.runtime)
    )
    console_wiring.install(services)
    return with_lake


def test_the_player_view_explains_why_a_player_got_a_message(explaining):
    answer = call("GET", "/api/players/p-a/explain", query={"template": "welcome"}, role="viewer")

    assert answer.status == 200, answer.text
    body = answer.json
    assert body["known"] is True
    assert body["rules"] == ["welcome-email"]
    assert [g["channel"] for g in body["got"] if g["status"] == "done"] == ["email"]
    assert any("rule welcome-email: send welcome by email" in line for line in body["lines"])


def test_the_player_view_says_when_the_lake_does_not_know_the_player(explaining):
    answer = call("GET", "/api/players/p-zz/explain", role="viewer")

    assert answer.status == 200
    assert answer.json["known"] is False
