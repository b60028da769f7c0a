"""What the report needs of the rules: their conversion goals and their bonus budgets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.domain.measurement.budgets import RuleBudget
from shared.domain.measurement.goals import Goal


@dataclass(frozen=True)
class ReportRules:
    goals: Mapping[str, Goal] = field(default_factory=dict)
    budgets: Mapping[str, RuleBudget] = field(default_factory=dict)


def report_rules(rule_bodies: Iterable[Mapping[str, Any]]) -> ReportRules:
    """Goals and budgets of every valid rule that declares them (an invalid rule is reported
    where config is validated; a report only needs the good ones)."""
    from shared.domain.authoring.rules import Rule

    goals: dict[str, Goal] = {}
    budgets: dict[str, RuleBudget] = {}
    for body in rule_bodies:
        try:
            rule = Rule.model_validate(body)
        except ValidationError:
            continue
        if rule.goal is not None:
            goals[rule.rule_id] = rule.goal
        if rule.budget is not None:
            budgets[rule.rule_id] = rule.budget
    return ReportRules(goals, budgets)
