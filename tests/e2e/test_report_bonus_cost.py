"""Bonus cost through the real handlers: a rule paying points and spins under a money budget,
its spins reach the lake (a `bonus_granted` row), and the report values the bonus as the
budget does and says when the budget ran out."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared import wiring
from shared.adapters.lake_files import LocalLake
from shared.console.reports import DuckDbReports
from shared.local.demo import START
from shared.local.embedded import Embedded, start_moto
from shared.reports.rule_inputs import report_rules
from tests.game_builders import wheel
from tests.game_stack import publish_game

ZONE = ZoneInfo("Europe/Berlin")
RULE = {
    "rule_id": "deposit-bonus",
    "on": ["wallet.deposit_succeeded"],
    "then": [
        {"award_points": {"points": 10}},
        {"grant_spins": {"wheel": "daily", "count": 2, "expires_after": "P1D"}},
    ],
    # A point is worth 5 cents and a spin 50: a deposit's bonus costs 50 + 100 cents, so the
    # 300-cent daily pool pays two players in full and refuses both rewards of the third.
    "budget": {
        "unit": "money",
        "campaign": 300,
        "period": "day",
        "time_zone": "Europe/Berlin",
        "point_value": 5,
        "spin_value": 50,
    },
}


@pytest.fixture
def stack(tmp_path):
    server, endpoint = start_moto()
    embedded = Embedded.on(server, endpoint, START)
    embedded.runtime.lake = LocalLake(tmp_path / "lake")
    publish_game(embedded.runtime.config, embedded.clock.now(), wheels=[wheel()], rules=[RULE])
    yield embedded
    wiring.reset()
    server.stop()


def _deposit(n: int) -> dict[str, Any]:
    return {
        "source": "casino.example",
        "detail-type": "wallet.deposit_succeeded",
        "detail": {
            "player_id": f"p-{n}",
            "event_id": f"dep-{n}",
            "occurred_at": (START + timedelta(minutes=n)).isoformat(),
            "deposit_id": f"d-{n}",
            "amount": "20.00",
            "currency": "EUR",
        },
    }


def test_spins_and_points_are_costed_in_money_and_the_budget_run_out_is_dated(stack):
    runtime = stack.runtime
    runtime.put_events([_deposit(n) for n in range(3)])
    runtime.pump()
    lake = runtime.lake
    assert lake is not None
    lake.flush()

    granted = lake.connect().execute(
        "SELECT player_id, spins FROM decisions WHERE action = 'bonus_granted' ORDER BY 1"
    )
    answer = DuckDbReports(
        lake.connect, lambda: report_rules(runtime.config.raw_items("rule"))
    ).answer(None, None, None)

    assert granted.fetchall() == [("p-0", 2), ("p-1", 2)]
    [campaign] = answer["campaigns"]
    assert (campaign["points_awarded"], campaign["spins_granted"]) == (20, 4)
    assert campaign["bonus_money"] == 300
    assert campaign["reach"] == 2
    [ran_out] = campaign["budget_exhausted"]
    third = START + timedelta(minutes=2)
    assert ran_out == {
        "reason": "budget_campaign",
        "period": third.astimezone(ZONE).date().isoformat(),
        "at": third.astimezone(UTC).isoformat(),
        "refusals": 2,
    }
    assert json.dumps(answer)  # the console's answer is plain JSON
