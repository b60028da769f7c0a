"""The report's figures, computed from the lake through the shared SQL and the pure attribution."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.measurement.attribution import Candidate, Touch, attribute, converted
from shared.domain.measurement.budgets import RuleBudget
from shared.domain.measurement.goals import Goal
from shared.reports.queries import GOAL_QUERIES, NAMES, sql
from shared.reports.uplift import Uplift

Executor = Callable[[str], list[tuple[Any, ...]]]
"""Runs one SQL text and returns its rows (DuckDB locally, Athena in AWS)."""
Progress = Callable[[str], None]


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


@dataclass
class Campaign:
    rule_id: str
    reach: int = 0
    sends: dict[str, int] = field(default_factory=dict)
    suppressions: dict[str, int] = field(default_factory=dict)
    points_awarded: int = 0
    spins_granted: int = 0
    # Bonus money in minor units (cents), valued as the rule's money budget values a point
    # and a spin; None when the rule has no money budget to say what a point is worth.
    bonus_money: int | None = None
    conversions: int = 0
    revenue: float = 0.0
    first_touch_conversions: int = 0
    uplift: Uplift | None = None
    # Each budget period that ran out in the range, in order.
    budget_exhausted: list[BudgetExhausted] = field(default_factory=list)


@dataclass(frozen=True)
class BudgetExhausted:
    """A budget period in which the rule's budget refused rewards."""

    reason: str  # budget_campaign (the pool ran out) | budget_player (players hit their cap)
    period: str | None  # the budget's period ("2026-10-05", "2026-W41", ...); None: no budget now
    first_refused_at: datetime  # UTC: when it ran out
    refusals: int


@dataclass
class Report:
    date_from: date
    date_to: date
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    # cohort (Monday, ISO date) -> {-1: cohort size, 0: active in week 0, 1: ...}
    retention: dict[str, dict[int, int]] = field(default_factory=dict)
    active_players: int = 0
    churned: int = 0
    registered: int = 0
    revenue: float = 0.0
    points_awarded: int = 0
    points_redeemed: int = 0
    marketed: int = 0
    unsubscribed: int = 0
    lapsed_targeted: int = 0
    reactivated: int = 0
    loyalty_active: int = 0
    loyalty_participants: int = 0

    @property
    def churn_rate(self) -> float:
        return _ratio(self.churned, self.active_players)

    @property
    def clv(self) -> float:
        return _ratio(self.revenue, self.registered)

    @property
    def redemption_rate(self) -> float:
        return _ratio(self.points_redeemed, self.points_awarded)

    @property
    def unsubscribe_rate(self) -> float:
        return _ratio(self.unsubscribed, self.marketed)

    @property
    def reactivation_rate(self) -> float:
        return _ratio(self.reactivated, self.lapsed_targeted)

    @property
    def loyalty_participation(self) -> float:
        return _ratio(self.loyalty_participants, self.loyalty_active)


def _campaign(report: Report, rule_id: str) -> Campaign:
    return report.campaigns.setdefault(rule_id, Campaign(rule_id))


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def report_plan(goals: Mapping[str, Goal], date_from: date, date_to: date) -> dict[str, str]:
    """The report's queries, name -> SQL text, for [date_from, date_to] (UTC days, inclusive).

    All of them are known before any runs, so an engine that can run queries side by side
    (Athena) starts them all at once; the attribution queries are needed only with goals.
    """
    plan = {name: sql(name, date_from, date_to) for name in NAMES if name not in GOAL_QUERIES}
    if goals:
        goal_types = sorted({t for goal in goals.values() for t in goal.on})
        plan["touches"] = sql("touches", date_from, date_to)
        plan["conversion_candidates"] = sql(
            "conversion_candidates", date_from, date_to, goal_types=goal_types
        )
        plan["holdouts"] = sql("holdouts", date_from, date_to)
    return plan


def build_report(
    run: Executor,
    goals: Mapping[str, Goal],
    date_from: date,
    date_to: date,
    progress: Progress = lambda _: None,
    budgets: Mapping[str, RuleBudget] | None = None,
) -> Report:
    """Every figure of the report for [date_from, date_to], running its queries one by one."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for name, text in report_plan(goals, date_from, date_to).items():
        progress(f"query {name}")
        rows[name] = run(text)
    return assemble_report(rows, goals, date_from, date_to, progress, budgets)


def assemble_report(
    rows: Mapping[str, list[tuple[Any, ...]]],
    goals: Mapping[str, Goal],
    date_from: date,
    date_to: date,
    progress: Progress = lambda _: None,
    budgets: Mapping[str, RuleBudget] | None = None,
) -> Report:
    """The report from the rows of every query of `report_plan` (by name); `budgets` are the
    rules' budgets, which value bonus money and say which period a refusal fell in."""
    report = Report(date_from, date_to)

    def query(name: str) -> list[tuple[Any, ...]]:
        return rows[name]

    for rule_id, reach in query("campaign_reach"):
        _campaign(report, rule_id).reach = int(reach)
    for rule_id, channel, sends in query("campaign_sends"):
        _campaign(report, rule_id).sends[channel] = int(sends)
    for rule_id, action, reason, times in query("campaign_suppressions"):
        _campaign(report, rule_id).suppressions[f"{action}:{reason}"] = int(times)
    for rule_id, points, spins in query("campaign_bonus"):
        campaign = _campaign(report, rule_id)
        campaign.points_awarded, campaign.spins_granted = int(points or 0), int(spins or 0)
    _budgets(report, query("budget_refusals"), budgets or {})
    _attribution(report, query, goals, progress)
    for cohort, week, active in query("retention"):
        report.retention.setdefault(str(cohort), {})[int(week)] = int(active)
    ((report.active_players, report.churned),) = query("churn")
    ((registered, revenue),) = query("clv")
    report.registered, report.revenue = int(registered), float(revenue or 0)
    ((awarded, redeemed),) = query("redemption")
    report.points_awarded, report.points_redeemed = int(awarded or 0), int(redeemed or 0)
    ((report.marketed, report.unsubscribed),) = query("unsubscribe")
    ((report.lapsed_targeted, report.reactivated),) = query("reactivation")
    ((report.loyalty_active, report.loyalty_participants),) = query("loyalty")
    return report


def _budgets(
    report: Report, refusals: list[tuple[Any, ...]], budgets: Mapping[str, RuleBudget]
) -> None:
    for rule_id, campaign in report.campaigns.items():
        budget = budgets.get(rule_id)
        if budget is not None and budget.unit == "money":
            campaign.bonus_money = math.ceil(
                campaign.points_awarded * budget.point_value
                + campaign.spins_granted * budget.spin_value
            )
    # Hourly buckets -> budget periods: the first refusal of a period is when it ran out.
    periods: dict[tuple[str, str, str | None], list[Any]] = {}
    for rule_id, reason, _hour, first_at, count in refusals:
        at = _at(first_at).replace(tzinfo=UTC)
        budget = budgets.get(rule_id)
        key = (rule_id, str(reason), budget.period_key(at) if budget else None)
        seen = periods.setdefault(key, [at, 0])
        seen[0], seen[1] = min(seen[0], at), seen[1] + int(count)
    for (rule_id, reason, period), (at, count) in sorted(
        periods.items(), key=lambda kv: (kv[0][0], kv[1][0], kv[0][1])
    ):
        _campaign(report, rule_id).budget_exhausted.append(
            BudgetExhausted(reason, period, at, count)
        )


def _attribution(
    report: Report,
    query: Callable[..., list[tuple[Any, ...]]],
    goals: Mapping[str, Goal],
    progress: Progress,
) -> None:
    if not goals:
        return
    touches = [Touch(p, r, _at(at)) for p, r, _event, at in query("touches")]
    candidates = [
        Candidate(
            p,
            e,
            t,
            _at(at),
            float(amount) if amount is not None else None,
            json.loads(detail, parse_float=Decimal),
        )
        for p, e, t, at, amount, detail in query("conversion_candidates")
    ]
    candidates.sort(key=lambda c: (c.occurred_at, c.event_id))
    progress(f"attributing {len(candidates)} candidate conversions to {len(touches)} touches")
    for model in ("last", "first"):
        result = attribute(touches, goals, candidates, model)
        for rule_id, credit in result.by_rule.items():
            campaign = _campaign(report, rule_id)
            if model == "last":
                campaign.conversions, campaign.revenue = credit.conversions, credit.revenue
            else:
                campaign.first_touch_conversions = credit.conversions
    holdouts = query("holdouts")
    if not holdouts:
        return
    by_player: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_player[c.player_id].append(c)
    first_touch: dict[tuple[str, str], datetime] = {}
    for t in touches:
        key = (t.rule_id, t.player_id)
        first_touch[key] = min(first_touch.get(key, t.at), t.at)
    arms: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (rule_id, player_id), at in first_touch.items():
        if rule_id in goals:
            arm = arms[rule_id]
            arm[0] += 1
            arm[1] += converted(player_id, at, goals[rule_id], by_player[player_id])
    for player_id, rule_id, held_at in holdouts:
        if rule_id in goals:
            arm = arms[rule_id]
            arm[2] += 1
            arm[3] += converted(player_id, _at(held_at), goals[rule_id], by_player[player_id])
    for rule_id, (n1, c1, n0, c0) in arms.items():
        if n0:
            _campaign(report, rule_id).uplift = Uplift(n1, c1, n0, c0)
