"""Conversions and revenue attributed to campaigns by touch, in event time.

A *touch* is a rule queueing a send for a player (one touch per triggering event and rule,
however many channels it used). A *conversion* is an event that reaches the goal of a rule
the player was touched by, strictly after the touch and no later than `touch + goal.window`.

Each conversion event counts once, for one rule:
- last touch (the default): the most recent qualifying touch wins, because it is the one the
  player acted on; ties (the same instant) go to the lowest rule_id, so the answer never
  depends on row order;
- first touch: the earliest qualifying touch wins, ties again by the lowest rule_id.
Revenue is the conversion event's `amount` (0 when it has none), credited to the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.domain.measurement.goals import Goal

Model = Literal["last", "first"]


@dataclass(frozen=True)
class Touch:
    player_id: str
    rule_id: str
    at: datetime


@dataclass(frozen=True)
class Candidate:
    """An event that may be a conversion."""

    player_id: str
    event_id: str
    detail_type: str
    occurred_at: datetime
    amount: float | None
    detail: Mapping[str, Any]


@dataclass
class Credit:
    conversions: int = 0
    revenue: float = 0.0


@dataclass(frozen=True)
class Attribution:
    by_rule: dict[str, Credit] = field(default_factory=dict)
    # event_id -> the rule it was credited to
    winners: dict[str, str] = field(default_factory=dict)


def winner(
    touches: Iterable[Touch], goals: Mapping[str, Goal], event: Candidate, model: Model = "last"
) -> str | None:
    """The rule one conversion event is credited to, or None if no touch qualifies."""
    qualifying = [
        t
        for t in touches
        if t.player_id == event.player_id
        and t.rule_id in goals
        and t.at < event.occurred_at <= t.at + goals[t.rule_id].window
        and goals[t.rule_id].converts(event.detail_type, dict(event.detail))
    ]
    if not qualifying:
        return None
    if model == "last":
        best = min(qualifying, key=lambda t: (-t.at.timestamp(), t.rule_id))
    else:
        best = min(qualifying, key=lambda t: (t.at.timestamp(), t.rule_id))
    return best.rule_id


def attribute(
    touches: Iterable[Touch],
    goals: Mapping[str, Goal],
    candidates: Iterable[Candidate],
    model: Model = "last",
) -> Attribution:
    """Credit each candidate conversion (once, by event_id) to its winning rule."""
    by_player: dict[str, list[Touch]] = defaultdict(list)
    for touch in set(touches):
        by_player[touch.player_id].append(touch)
    result = Attribution()
    for event in candidates:
        if event.event_id in result.winners:
            continue  # the same event delivered twice is one conversion
        rule_id = winner(by_player.get(event.player_id, []), goals, event, model)
        if rule_id is None:
            continue
        result.winners[event.event_id] = rule_id
        credit = result.by_rule.setdefault(rule_id, Credit())
        credit.conversions += 1
        credit.revenue += event.amount or 0.0
    return result


def converted(player_id: str, since: datetime, goal: Goal, candidates: Iterable[Candidate]) -> bool:
    """Whether the player reached `goal` in (since, since + window]: the per-arm outcome."""
    return any(
        c.player_id == player_id
        and since < c.occurred_at <= since + goal.window
        and goal.converts(c.detail_type, dict(c.detail))
        for c in candidates
    )
