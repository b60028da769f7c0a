"""Shuffles beyond the reorder window: whatever differs from the event-time-order run is
exactly what docs/design.md ("Order: the reorder window") says may differ."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import EventDetail
from tests.builders import T0, deposit, failed_deposit, registered
from tests.reorder_harness import Pipeline, outcome_of
from tests.unit.test_reorder_property import CONFIG, W, histories

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def documented() -> list[str]:
    """The "may differ" patterns, read from the docs table between its markers."""
    text = DESIGN.read_text(encoding="utf-8")
    table = text.split("<!-- order:may-differ -->", 1)[1].split("<!-- /order:may-differ -->")[0]
    return re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)


def _run(arrivals: list[tuple[datetime, EventDetail]], until: datetime) -> dict[str, Any]:
    pipeline = Pipeline(CONFIG, W, T0 - timedelta(seconds=1))
    pipeline.deliver(arrivals)
    run = pipeline.run(until)
    assert run.recorder.dead == []
    return {pid: outcome_of(run.store, pid) for pid in run.player_ids()}


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> set[str]:
    """Where two players' outcomes differ, in the docs' vocabulary: `state.<part>` (and
    `state.profile.<field>`), `ledger`, `effects.<kind>`, `audit.<category>`."""
    found: set[str] = set()
    a, b = expected["state"], actual["state"]
    for part in set(a) | set(b):
        if a.get(part) == b.get(part):
            continue
        if part == "profile":
            pa, pb = a["profile"], b["profile"]
            found |= {f"state.profile.{f}" for f in set(pa) | set(pb) if pa.get(f) != pb.get(f)}
        else:
            found.add(f"state.{part}")
    if expected["ledger"] != actual["ledger"]:
        found.add("ledger")
    for kind in ("effects", "audit"):
        for line in set(expected[kind]) ^ set(actual[kind]):
            item = json.loads(line)
            found.add(
                f"effects.{item['effect']['kind']}"
                if kind == "effects"
                else f"audit.{item['category']}"
            )
    return found


def undocumented(found: set[str]) -> set[str]:
    patterns = documented()
    return {path for path in found if not any(fnmatch(path, p) for p in patterns)}


def test_the_docs_list_what_may_differ_beyond_the_window():
    # The table exists and names the parts the tests below check against.
    patterns = documented()
    assert "state.profile.*_streak" in patterns
    assert "effects.send" in patterns
    assert not any(p.startswith("state.profile.") and "streak" not in p for p in patterns)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=histories(), data=st.data())
def test_whatever_a_late_event_changes_is_documented(history, data):
    # Given: one event of a history delivered later than W (minutes to a day)
    index = data.draw(st.integers(1, len(history) - 1))
    late = data.draw(st.sampled_from([W + timedelta(minutes=5), timedelta(hours=2), timedelta(1)]))
    arrivals = [
        (e.occurred_at + (late if i == index else timedelta(0)), e) for i, e in enumerate(history)
    ]
    arrivals.sort(key=lambda a: a[0])
    until = max(e.occurred_at for e in history) + timedelta(days=5)
    # When: it runs next to the in-order delivery
    expected = _run(sorted(((e.occurred_at, e) for e in history), key=lambda a: a[0]), until)
    actual = _run(arrivals, until)
    # Then: every difference is one the docs list (the profile's facts never differ)
    for player in expected:
        assert undocumented(differences(expected[player], actual[player])) == set(), player


def test_a_late_success_does_not_end_a_failed_deposit_streak_decided_after_it():
    # Given: two failures, a success, a third failure; the success arrives 10 minutes late
    player = "p-streak"
    reg = registered(T0, player=player, event_id="reg-streak")
    f1 = failed_deposit(T0 + timedelta(minutes=1), player=player)
    f2 = failed_deposit(T0 + timedelta(minutes=2), player=player)
    ok = deposit(T0 + timedelta(minutes=3), "20", player=player, event_id="ok-streak")
    f3 = failed_deposit(T0 + timedelta(minutes=4), player=player)
    in_order = [(e.occurred_at, e) for e in (reg, f1, f2, ok, f3)]
    late = [(e.occurred_at, e) for e in (reg, f1, f2, f3)] + [(ok.occurred_at + W * 4, ok)]
    until = T0 + timedelta(days=5)
    # When
    expected = _run(in_order, until)[player]
    actual = _run(sorted(late, key=lambda a: a[0]), until)[player]
    # Then: the streak is the documented difference; the profile's facts are the same
    found = differences(expected, actual)
    assert "state.profile.failed_deposit_streak" in found
    assert undocumented(found) == set()
    assert expected["state"]["profile"]["failed_deposit_streak"] == 1
    assert actual["state"]["profile"]["failed_deposit_streak"] == 3
    for fact in ("deposit_count", "last_deposit_at", "consents"):
        assert actual["state"]["profile"][fact] == expected["state"]["profile"][fact]


def test_within_the_window_the_same_late_success_changes_nothing():
    # Given: the same history, the success only two minutes late (within W)
    player = "p-streak-w"
    reg = registered(T0, player=player, event_id="reg-streak-w")
    f1 = failed_deposit(T0 + timedelta(minutes=1), player=player)
    f2 = failed_deposit(T0 + timedelta(minutes=2), player=player)
    ok = deposit(T0 + timedelta(minutes=3), "20", player=player, event_id="ok-streak-w")
    f3 = failed_deposit(T0 + timedelta(minutes=4), player=player)
    in_order = [(e.occurred_at, e) for e in (reg, f1, f2, ok, f3)]
    late = [(e.occurred_at, e) for e in (reg, f1, f2, f3)] + [(ok.occurred_at + W / 2, ok)]
    until = T0 + timedelta(days=5)
    # When / Then
    expected = _run(in_order, until)[player]
    assert _run(sorted(late, key=lambda a: a[0]), until)[player] == expected
