"""A draft of rules only is replayed for the players it can reach: the same report as a
draft replayed for everyone (shared/backtest/scope.py, shared/domain/run/rule_probe.py)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from shared.backtest.backtest import BacktestReport, backtest
from shared.backtest.config_items import ConfigItems, starter_items
from shared.backtest.history import History
from shared.backtest.outcome import Tally, tally_to_json
from shared.backtest.scope import draft_scope
from shared.backtest.simulate import synthetic_history

START = datetime(2026, 10, 1, tzinfo=UTC)
COUNT_FROM = START + timedelta(days=3)  # three days of warm-up, as a backtest has
UNTIL = START + timedelta(days=12)


@cache
def _history(profile: str) -> History:
    return synthetic_history(90, 12, profile, seed=11, start=START)  # type: ignore[arg-type]


def _rule(rule_id: str) -> dict[str, Any]:
    found = next(r for r in starter_items().rules if r["rule_id"] == rule_id)
    copied: dict[str, Any] = json.loads(json.dumps(found))
    return copied


def _draft(*rules: dict[str, Any]) -> ConfigItems:
    return starter_items().overlay(ConfigItems(rules=list(rules)))


BIG_DEPOSIT = {
    "rule_id": "big-deposit-thanks",
    "on": ["wallet.deposit_succeeded"],
    "match": {"event": {"amount": [{"numeric": [">=", 200]}]}},
    "then": [
        {"send": {"template": "first-deposit", "channel": "email"}},
        {"award_points": {"points": 50, "reason": "big deposit"}},
    ],
}
# Reads facts the starter rules never ask for (so the published run does not build them).
LAPSED_LOGIN = {
    "rule_id": "lapsed-login",
    "on": ["player.logged_in"],
    "match": {"player": {"days_since_last_deposit": [{"numeric": [">=", 4]}]}},
    "then": [{"award_points": {"points": 25, "reason": "welcome back"}}],
    "limit": {"per_player": 1},
}
HIGH_VALUE = {
    "rule_id": "high-value-login",
    "on": ["player.logged_in"],
    "match": {"player": {"rfm": {"m": [{"numeric": [">=", 4]}]}}},
    "then": [{"send": {"template": "first-deposit", "channel": "email"}}],
    "limit": {"per_player": 1},
}
SECOND_DEPOSIT_NUDGE = {
    "rule_id": "second-deposit-nudge",
    "on": ["wallet.deposit_succeeded"],
    "match": {"player": {"deposit_count": [1]}},
    "then": [
        {
            "schedule": {
                "timer": "second-deposit",
                "after": "P2D",
                "if": {"player": {"deposit_count": [1]}},
                "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
            }
        }
    ],
    "limit": {"per_player": 1},
}


def _drafts() -> dict[str, ConfigItems]:
    stricter = _rule("first-deposit-thanks")
    stricter["match"] = {
        "player": {"deposit_count": [1]},
        "event": {"amount": [{"numeric": [">", 50]}]},
    }
    badge_off = {**_rule("first-deposit-badge"), "enabled": False}
    doubled = _rule("daily-login-points")
    doubled["then"][0]["award_points"]["points"] = 20
    return {
        "new narrow rule": _draft(BIG_DEPOSIT),
        "stricter condition": _draft(stricter),
        "rule switched off": _draft(badge_off),
        "reads a fact the published config never builds": _draft(LAPSED_LOGIN),
        "reads the RFM score": _draft(HIGH_VALUE),
        "arms a timer": _draft(SECOND_DEPOSIT_NUDGE),
        "a budget per player": _draft({**BIG_DEPOSIT, "budget": {"per_player": 60}}),
        "every player meets it": _draft(doubled),
    }


def _figures(tally: Tally) -> dict[str, Any]:
    """A tally's figures with zero counts dropped (taking players out leaves none behind)."""
    out = tally_to_json(tally)
    for name, value in out.items():
        if isinstance(value, dict):
            out[name] = {k: n for k, n in value.items() if n}
    out["per_player"] = {p: o.signature() for p, o in sorted(tally.per_player.items())}
    return out


def _same_report(scoped: BacktestReport, whole: BacktestReport) -> None:
    assert _figures(scoped.published.tally) == _figures(whole.published.tally)
    assert _figures(scoped.draft.tally) == _figures(whole.draft.tally)
    assert [(c.player_id, c.differences, c.explanation) for c in scoped.changed] == [
        (c.player_id, c.differences, c.explanation) for c in whole.changed
    ]


@pytest.mark.parametrize("profile", ["casino", "shop"])
@pytest.mark.parametrize("name", list(_drafts()))
def test_a_scoped_draft_gives_the_report_of_a_draft_replayed_for_everyone(profile, name):
    history = _history(profile)
    published, draft = starter_items().build(1), _drafts()[name].build(2)
    assert not draft.problems, draft.problems
    assert draft_scope(published, draft) is not None

    scoped = backtest(history, published, draft, COUNT_FROM, UNTIL)
    whole = backtest(history, published, draft, COUNT_FROM, UNTIL, scoped=False)

    _same_report(scoped, whole)
    assert whole.draft.players_replayed == whole.players
    # The players it could change were all replayed under the draft.
    assert scoped.draft.players_replayed is not None
    assert len(scoped.changed) <= scoped.draft.players_replayed


def test_a_narrow_draft_replays_only_the_players_it_reaches():
    history = _history("casino")
    published, draft = starter_items().build(1), _draft(BIG_DEPOSIT).build(2)

    report = backtest(history, published, draft, COUNT_FROM, UNTIL)

    assert report.changed, "the draft changes something"
    assert 0 < report.draft.players_replayed < report.players / 2
    assert report.published.players_replayed == report.players
    assert report.draft.result.steps < report.published.result.steps


def test_a_draft_on_logins_is_replayed_for_exactly_the_players_who_log_in():
    doubled = _rule("daily-login-points")
    doubled["then"][0]["award_points"]["points"] = 20
    history = _history("casino")
    report = backtest(
        history, starter_items().build(1), _draft(doubled).build(2), COUNT_FROM, UNTIL
    )

    logged_in = {
        p.player_id
        for p in history.players
        if any(e.detail_type == "player.logged_in" and e.occurred_at < UNTIL for e in p.events)
    }
    assert 0 < len(logged_in) < report.players  # a few never log in: not vacuous
    assert report.draft.players_replayed == len(logged_in)


def test_two_workers_give_the_same_scoped_report():
    history = _history("casino")
    published, draft = starter_items().build(1), _draft(BIG_DEPOSIT).build(2)

    pooled = backtest(history, published, draft, COUNT_FROM, UNTIL, workers=2)
    whole = backtest(history, published, draft, COUNT_FROM, UNTIL, scoped=False)

    _same_report(pooled, whole)
    assert pooled.draft.players_replayed < pooled.players


def test_a_draft_that_changes_more_than_rules_has_no_scope():
    published = starter_items()
    template = {**published.templates[0], "subject": "Something else"}
    policy = {"policy_id": "rg", "net_loss_amount": "123"}
    budget = {**BIG_DEPOSIT, "budget": {"campaign": 1000, "period": "month"}}

    for draft in (
        published.overlay(ConfigItems(templates=[template])),
        published.overlay(ConfigItems(policies=[policy])),
        _draft(budget),
    ):
        built = draft.build(2)
        assert not built.problems, built.problems
        assert draft_scope(published.build(1), built) is None


def test_the_same_config_has_an_empty_scope_and_changes_nobody():
    built = starter_items().build(1)
    scope = draft_scope(built, starter_items().build(2))

    assert scope is not None
    assert scope.changed == frozenset()
    report = backtest(_history("shop"), built, starter_items().build(2), COUNT_FROM, UNTIL)
    assert report.changed == []
    assert report.draft.players_replayed == 0
    assert _figures(report.draft.tally) == _figures(report.published.tally)


def _random_rule(rng: random.Random, n: int) -> dict[str, Any]:
    """A rule a marketer could write: a trigger, a condition on the event or the player,
    and an action (points, a send, a badge or a timer)."""
    triggers: list[tuple[str, list[dict[str, Any]]]] = [
        ("wallet.deposit_succeeded", [{"event": {"amount": [{"numeric": [">=", 50]}]}}]),
        ("game.round_finished", [{"event": {"outcome": ["win"]}}]),
        ("player.logged_in", [{"player": {"deposit_count": [{"numeric": [">", 2]}]}}]),
        (
            "player.logged_in",
            [{"player": {"days_since_last_activity": [{"numeric": [">=", 2]}]}}],
        ),
        ("game.round_finished", [{"player": {"tier": ["silver", "gold"]}}]),
        ("player.registered", [{"player": {"country": [{"anything-but": ["GB"]}]}}]),
    ]
    on, conditions = rng.choice(triggers)
    action = rng.choice(
        [
            {"award_points": {"points": rng.choice([5, 40]), "reason": "random"}},
            {"send": {"template": "first-deposit", "channel": "email"}},
            {"grant_badge": {"badge": _badge()}},
            {
                "schedule": {
                    "timer": f"t{n}",
                    "after": "P1D",
                    "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
                }
            },
        ]
    )
    rule: dict[str, Any] = {"rule_id": f"random-{n}", "on": [on], "then": [action]}
    if rng.random() < 0.8:
        rule["match"] = rng.choice(conditions)
    if rng.random() < 0.5:
        rule["limit"] = {"per_player": rng.choice([1, 3])}
    return rule


@cache
def _badge() -> str:
    badge_id: str = starter_items().game["badge"][-1]["badge_id"]
    return badge_id


@pytest.mark.parametrize("seed", range(16))
def test_random_rule_drafts_give_the_report_of_a_draft_replayed_for_everyone(seed):
    rng = random.Random(seed)
    rules = [_random_rule(rng, n) for n in range(rng.choice([1, 2]))]
    if rng.random() < 0.5:  # and an edit of a starter rule
        edited = _rule(rng.choice(["deposit-points", "daily-login-points", "first-deposit-thanks"]))
        edited["enabled"] = rng.random() < 0.5
        rules.append(edited)
    history = _history(rng.choice(["casino", "shop"]))
    published, draft = starter_items().build(1), _draft(*rules).build(2)
    assert not draft.problems, draft.problems

    scoped = backtest(history, published, draft, COUNT_FROM, UNTIL)
    whole = backtest(history, published, draft, COUNT_FROM, UNTIL, scoped=False)

    _same_report(scoped, whole)
