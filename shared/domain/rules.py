"""Rules marketers write: when (`on` + `match`), what (`then`), how often (`limit`).

A rule is data, validated here with the field path and a human reason for every mistake,
then compiled once: patterns become matchers, and rules are indexed by detail-type and by
an exact-value anchor so evaluation cost does not grow with unrelated rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from events.models import DETAIL_MODELS
from shared.domain.budgets import RuleBudget
from shared.domain.calendar_dates import CalendarPeriod
from shared.domain.durations import IsoDuration
from shared.domain.experiments import Experiment, Variant
from shared.domain.goals import Goal
from shared.domain.pattern_automaton import PatternAutomaton
from shared.domain.patterns import Matcher, compile_pattern

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


def _known_detail_types(value: list[str]) -> list[str]:
    unknown = [v for v in value if v not in DETAIL_MODELS]
    if unknown:
        raise ValueError(f"unknown detail-type {unknown}; known: {sorted(DETAIL_MODELS)}")
    return value


DetailTypes = Annotated[
    list[str], Field(min_length=1, max_length=20), AfterValidator(_known_detail_types)
]
"""The detail-types a rule, mission step or board listens to (contract types only)."""
TimerName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,47}$")]
AMOUNT_FIELDS = ("amount", "stake", "payout")
MAX_NESTING = 3


def check_pattern(value: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """A condition on {"event", "player"}: refused with the exact path inside it if invalid."""
    if value is None:
        return None
    unknown = sorted(set(value) - {"event", "player", "$or"})
    if unknown:
        raise ValueError(
            f"{where} may only test 'event' and 'player' (or use '$or'); found {unknown}"
        )
    # Raises PatternError (a ValueError) naming the exact path inside the pattern.
    compile_pattern(value, path=where)
    return value


def _check_match(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return check_pattern(value, "match")


Condition = Annotated[dict[str, Any] | None, AfterValidator(_check_match)]
"""A `match` condition in the EventBridge pattern language, validated with its path."""


class AwardPoints(BaseModel):
    """Fixed points, or `rate` points per unit of an amount field (rounded down)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    rate: Annotated[Decimal, Field(gt=0, le=1000)] | None = None
    of: Literal["amount", "stake", "payout"] | None = None
    reason: Annotated[str, Field(max_length=120)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AwardPoints:
        fixed = self.points is not None
        proportional = self.rate is not None or self.of is not None
        if fixed == proportional:
            raise ValueError("give either 'points', or both 'rate' and 'of'")
        if proportional and (self.rate is None or self.of is None):
            raise ValueError("'rate' and 'of' go together")
        return self


class Send(BaseModel):
    """Send a message from a template. v1 delivers email; more channels come with delivery."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: Slug
    # inbox: an in-app message kept per player (no address, no channel consent needed).
    channel: Literal["email", "sms", "push", "inbox"] = "email"
    # A marketing message over a frequency cap is dropped, or deferred until the cap resets.
    on_cap: Literal["drop", "defer"] = "drop"


class Cascade(BaseModel):
    """Try channels in order: the first with consent and an address gets the message; if it
    is not opened within `wait`, the next one does ("push first; if not opened in 2 h,
    email"). A channel without consent is skipped, not failed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: Slug
    channels: list[Literal["email", "sms", "push", "inbox"]] = Field(min_length=2, max_length=4)
    wait: IsoDuration

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each channel at most once")
        return value

    @field_validator("wait")
    @classmethod
    def _sane_wait(cls, value: Any) -> Any:
        if not timedelta(minutes=5) <= value <= timedelta(days=7):
            raise ValueError("wait between PT5M and P7D")
        return value


class Schedule(BaseModel):
    """Arm a named per-player timer; when it fires, `if` is re-checked, then `then` runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    timer: TimerName
    after: IsoDuration | None = None
    # Or a calendar moment in the player's own time zone, e.g. the next birthday at 09:00.
    at_next: Literal["birthday", "registration_anniversary"] | None = None
    local_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:00"
    # After firing, arm again: `after` later, or at the next calendar occurrence.
    repeat: bool = False
    if_: dict[str, Any] | None = Field(default=None, alias="if")
    then: list[Action] = Field(min_length=1, max_length=10)
    # "N after the player's last X": the timer is armed once and, when it fires early
    # because X moved on, re-arms itself at X + after. No re-arm per login is needed.
    slide_with: (
        Literal[
            "last_activity_at",
            "last_login_at",
            "last_deposit_at",
            "last_round_at",
            "last_purchase_at",
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _when(self) -> Schedule:
        if (self.after is None) == (self.at_next is None):
            raise ValueError("give either 'after' (a duration) or 'at_next' (a calendar moment)")
        if self.slide_with is not None and self.after is None:
            raise ValueError("'slide_with' needs 'after'")
        return self

    @field_validator("if_")
    @classmethod
    def _valid_if(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_pattern(value, "if")

    @field_validator("after")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value is not None and value.total_seconds() < 60:
            raise ValueError("a timer must be at least PT1M away")
        return value


class OpenOffer(BaseModel):
    """Open a time-limited window in which points are multiplied (e.g. double points 2 h)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    offer: Slug
    multiplier: Annotated[Decimal, Field(gt=1, le=10)]
    for_: IsoDuration = Field(alias="for")

    @field_validator("for_")
    @classmethod
    def _sane_window(cls, value: Any) -> Any:
        if not timedelta(minutes=1) <= value <= timedelta(days=30):
            raise ValueError("an offer window lasts between PT1M and P30D")
        return value


class CancelTimer(BaseModel):
    """Disarm a named timer of this player, if one is pending."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timer: TimerName


class GrantBadge(BaseModel):
    """Grant a badge from the badge catalogue; a player holds each badge at most once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    badge: Slug


class GrantSpins(BaseModel):
    """Give the player `count` spins of a wheel, each usable once, lapsing after `expires_after`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wheel: Slug
    count: Annotated[int, Field(ge=1, le=100)] = 1
    expires_after: IsoDuration = timedelta(days=7)

    @field_validator("expires_after")
    @classmethod
    def _sane_expiry(cls, value: Any) -> Any:
        if not timedelta(hours=1) <= value <= timedelta(days=365):
            raise ValueError("spins lapse between PT1H and P365D after they are granted")
        return value


class JoinMission(BaseModel):
    """Opt the player in to an opt-in mission (joining twice changes nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mission: Slug


def check_reward_actions(actions: Iterable[Any], what: str, where: str = "") -> None:
    """Missions' rewards and boards' prizes pay fixed things: points, a badge, spins, a send."""
    for i, action in enumerate(actions):
        if not isinstance(action, REWARD_ACTIONS):
            raise ValueError(
                f"{where}{i}: a {what} is award_points, grant_badge, grant_spins or send"
            )
        if isinstance(action, AwardPointsAction) and action.award_points.points is None:
            raise ValueError(f"{where}{i}.award_points: a {what} pays fixed 'points'")


ACTION_KINDS = (
    "award_points",
    "send",
    "schedule",
    "cancel_timer",
    "open_offer",
    "cascade",
    "grant_badge",
    "grant_spins",
    "join_mission",
)


def _action_tag(value: Any) -> str | None:
    if isinstance(value, Mapping) and len(value) == 1:
        key = next(iter(value))
        return key if key in ACTION_KINDS else None
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


class AwardPointsAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    award_points: AwardPoints


class SendAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    send: Send


class ScheduleAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schedule: Schedule


class CancelTimerAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cancel_timer: CancelTimer


class OpenOfferAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    open_offer: OpenOffer


class CascadeAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cascade: Cascade


class GrantBadgeAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    grant_badge: GrantBadge


class GrantSpinsAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    grant_spins: GrantSpins


class JoinMissionAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    join_mission: JoinMission


Action = Annotated[
    Annotated[AwardPointsAction, Tag("award_points")]
    | Annotated[SendAction, Tag("send")]
    | Annotated[ScheduleAction, Tag("schedule")]
    | Annotated[CancelTimerAction, Tag("cancel_timer")]
    | Annotated[OpenOfferAction, Tag("open_offer")]
    | Annotated[CascadeAction, Tag("cascade")]
    | Annotated[GrantBadgeAction, Tag("grant_badge")]
    | Annotated[GrantSpinsAction, Tag("grant_spins")]
    | Annotated[JoinMissionAction, Tag("join_mission")],
    Discriminator(
        _action_tag,
        custom_error_type="unknown_action",
        custom_error_message=(
            "each action is an object with exactly one key, one of: " + ", ".join(ACTION_KINDS)
        ),
    ),
]
Schedule.model_rebuild()
Variant.model_rebuild(_types_namespace={"Action": Action})
Experiment.model_rebuild()
REWARD_ACTIONS = (AwardPointsAction, GrantBadgeAction, GrantSpinsAction, SendAction)


class Limit(BaseModel):
    """At most `per_player` firings per player, by event time: per calendar `per` (day, week
    from Monday, month) in the player's own time zone, or within any rolling `period`
    (an ISO 8601 duration), or ever when neither is given.

    "Once a day" is a calendar day (`"per": "day"`): what marketers mean, and what the
    starter rules and playbooks use. A rolling `"period": "P1D"` means "at most once in any
    24 hours", so a login at 21:00 and one at 08:00 the next day earn once.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    model_config = ConfigDict(extra="forbid", frozen=True)

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
