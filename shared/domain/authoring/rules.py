"""Rules marketers write: when (`on` + `match`), what (`then`), how often (`limit`).

A rule is data, validated here with the field path and a human reason for every mistake,
then compiled once: patterns become matchers, and rules are indexed by detail-type and by
an exact-value anchor so evaluation cost does not grow with unrelated rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from events.models import DETAIL_MODELS
from shared.domain.basics.calendar_dates import CalendarPeriod
from shared.domain.basics.durations import IsoDuration
from shared.domain.language.actions import (
    ACTION_KINDS,
    AMOUNT_FIELDS,
    MAX_NESTING,
    REWARD_ACTIONS,
    Action,
    AwardPoints,
    AwardPointsAction,
    CancelTimer,
    CancelTimerAction,
    Cascade,
    CascadeAction,
    Condition,
    DetailTypes,
    GrantBadge,
    GrantBadgeAction,
    GrantSpins,
    GrantSpinsAction,
    JoinMission,
    JoinMissionAction,
    OpenOffer,
    OpenOfferAction,
    Schedule,
    ScheduleAction,
    Send,
    SendAction,
    Slug,
    TimerName,
    check_pattern,
    check_reward_actions,
)
from shared.domain.language.pattern_automaton import PatternAutomaton
from shared.domain.language.patterns import Matcher, compile_pattern
from shared.domain.measurement.budgets import RuleBudget
from shared.domain.measurement.experiments import Experiment
from shared.domain.measurement.goals import Goal

# The action language lives in actions.py; these names stay importable from here.
__all__ = [
    "ACTION_KINDS",
    "AMOUNT_FIELDS",
    "MAX_NESTING",
    "REWARD_ACTIONS",
    "Action",
    "AwardPoints",
    "AwardPointsAction",
    "CancelTimer",
    "CancelTimerAction",
    "Cascade",
    "CascadeAction",
    "Condition",
    "DetailTypes",
    "GrantBadge",
    "GrantBadgeAction",
    "GrantSpins",
    "GrantSpinsAction",
    "JoinMission",
    "JoinMissionAction",
    "OpenOffer",
    "OpenOfferAction",
    "Schedule",
    "ScheduleAction",
    "Send",
    "SendAction",
    "Slug",
    "TimerName",
    "check_pattern",
    "check_reward_actions",
]


class Limit(BaseModel):
    """At most `per_player` firings per player, by event time: per calendar `per` (day, week
    from Monday, month) in the player's own time zone, or within any rolling `period`
    (an ISO 8601 duration), or ever when neither is given.

    "Once a day" is a calendar day (`"per": "day"`): what marketers mean, and what the
    starter rules and playbooks use. A rolling `"period": "P1D"` means "at most once in any
    24 hours", so a login at 21:00 and one at 08:00 the next day earn once.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    per_player: Annotated[int, Field(ge=1, le=10_000)]
    per: CalendarPeriod | None = None
    period: IsoDuration | None = None

    @model_validator(mode="after")
    def _one_window(self) -> Limit:
        if self.per is not None and self.period is not None:
            raise ValueError(
                "per: give a calendar 'per' (day, week, month) or a rolling 'period', not both"
            )
        return self


class Rule(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    rule_id: Slug
    description: Annotated[str, Field(max_length=500)] = ""
    enabled: bool = True
    priority: Annotated[int, Field(ge=0, le=10_000)] = 100
    on: DetailTypes
    match: Condition = None
    then: list[Action] = Field(min_length=1, max_length=10)
    limit: Limit | None = None
    # False: part of the loyalty program's base (e.g. points per deposit), not a campaign;
    # the global control group still gets its rewards (its messages follow their template).
    marketing: bool = True
    # Variants and a holdout (docs/experiments-and-budgets.md).
    experiment: Experiment | None = None
    # What the rule's rewards may cost per period, in total and per player.
    budget: RuleBudget | None = None
    goal: Goal | None = None  # what counts as this campaign converting (reports, attribution)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        timers: dict[str, str] = {}
        for where, path, action in walk_rule(self):
            if isinstance(action, AwardPointsAction) and action.award_points.of:
                amount_field = action.award_points.of
                lacking = [t for t in self.on if amount_field not in DETAIL_MODELS[t].model_fields]
                if lacking and not path.count(".then."):
                    raise ValueError(
                        f"{where}.{path}.award_points.of: {lacking} events have no {amount_field!r}"
                    )
            if path.count(".then.") >= MAX_NESTING:
                raise ValueError(f"{where}.{path}: timers nest at most {MAX_NESTING} deep")
            if isinstance(action, ScheduleAction):
                # A fired timer finds its actions by name: one name, one meaning per rule.
                name = action.schedule.timer
                if name in timers:
                    raise ValueError(
                        f"{where}.{path}.schedule.timer: {name!r} is also armed at {timers[name]}"
                    )
                timers[name] = f"{where}.{path}"
        return self


def walk_rule(rule: Rule) -> Iterable[tuple[str, str, Any]]:
    """(where, path, action) over a rule's `then` and every variant's own `then`;
    `f"{where}.{path}"` is the action's field path in the rule document."""
    for path, action in walk_actions(rule.then):
        yield "then", path, action
    if rule.experiment is not None:
        for i, variant in enumerate(rule.experiment.variants):
            for path, action in walk_actions(variant.then or ()):
                yield f"experiment.variants.{i}.then", path, action


def walk_actions(actions: Iterable[Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Yield (path, action) for actions and the actions nested under their timers."""
    for i, action in enumerate(actions):
        path = f"{prefix}{i}"
        yield path, action
        if isinstance(action, ScheduleAction):
            yield from walk_actions(action.schedule.then, f"{path}.then.")


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    matcher: Matcher | None
    timers: Mapping[str, tuple[Schedule, Matcher | None]] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return self.rule.rule_id


def compile_rule(rule: Rule) -> CompiledRule:
    """Compile a validated rule's patterns once."""
    timers: dict[str, tuple[Schedule, Matcher | None]] = {}
    for _, _, action in walk_rule(rule):
        if isinstance(action, ScheduleAction):
            spec = action.schedule
            timers[spec.timer] = (spec, compile_pattern(spec.if_) if spec.if_ else None)
    return CompiledRule(
        rule=rule,
        matcher=compile_pattern(rule.match) if rule.match else None,
        timers=timers,
    )


_MATCH_ALL = object()


class RuleSet:
    """Enabled rules, compiled and indexed by detail-type, then the conditions of one
    detail-type compiled together into one PatternAutomaton."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        ordered = sorted(
            (r for r in rules if r.rule.enabled), key=lambda r: (r.rule.priority, r.rule_id)
        )
        self._by_id = {r.rule_id: r for r in ordered}
        self._rank = {r.rule_id: i for i, r in enumerate(ordered)}
        self._unconditional: dict[str, list[CompiledRule]] = {}
        conditional: dict[str, list[tuple[CompiledRule, Matcher]]] = {}
        for r in ordered:
            for detail_type in r.rule.on:
                if r.matcher is None:
                    self._unconditional.setdefault(detail_type, []).append(r)
                else:
                    conditional.setdefault(detail_type, []).append((r, r.matcher))
        self._index = {t: PatternAutomaton(items) for t, items in conditional.items()}

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, rule_id: str) -> CompiledRule | None:
        return self._by_id.get(rule_id)

    def all(self) -> list[CompiledRule]:
        """Every enabled rule, by priority then id."""
        return list(self._by_id.values())

    def matching(self, detail_type: str, doc: Mapping[str, Any]) -> list[CompiledRule]:
        """Rules for this detail-type whose condition holds for doc, by priority then id."""
        unconditional = self._unconditional.get(detail_type)
        index = self._index.get(detail_type)
        if index is None:
            return list(unconditional or ())
        hits = index.matching(doc)  # in the order given: priority, then id
        if unconditional:
            hits.extend(unconditional)
            hits.sort(key=lambda r: self._rank[r.rule_id])
        return hits

    def candidates(self, detail_type: str) -> list[CompiledRule]:
        """All enabled rules listening to this detail-type (for explanations)."""
        return [r for r in self._by_id.values() if detail_type in r.rule.on]


def sent_channels(actions: Iterable[Any]) -> dict[str, set[str]]:
    """Template id -> the channels these actions (and their timers) may send it on."""
    out: dict[str, set[str]] = {}
    for _, action in walk_actions(actions):
        if isinstance(action, SendAction):
            out.setdefault(action.send.template, set()).add(action.send.channel)
        elif isinstance(action, CascadeAction):
            out.setdefault(action.cascade.template, set()).update(action.cascade.channels)
    return out


def variant_template_problems(rule: Rule, known: set[tuple[str, str]]) -> list[str]:
    """A variant's template overrides that swap a template the rule never sends, or name a
    template missing for a channel the rule sends it on (each 'path: reason')."""
    if rule.experiment is None:
        return []
    sends = sent_channels(rule.then)
    problems = []
    for i, variant in enumerate(rule.experiment.variants):
        for original, replacement in sorted(variant.templates.items()):
            at = f"experiment.variants.{i}.templates.{original}"
            if original not in sends:
                problems.append(f"{at}: the rule sends no template {original!r}")
                continue
            lacking = sorted(c for c in sends[original] if (replacement, c) not in known)
            if lacking:
                problems.append(f"{at}: no {'/'.join(lacking)} template {replacement!r}")
    return problems
