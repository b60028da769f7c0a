"""Missions: multi-step goals counted from events ("play 3 different games this week").

A mission is config (validated here, field path + reason for every mistake); a player's
progress on it is a `MissionProgress` in their state. Counting, windows and completion
live in `run_missions.py`; the rules for what an edit does to progress are in
docs/missions.md and are the reason progress is keyed the way it is:

- a step's counter is stored under `step_key(step)` = step id + what it measures, so an
  edit that changes *what* a step measures (count -> sum, another field) can never be
  misread as the old number; every other edit keeps the number;
- a run keeps the window it started in (`starts_at`, `ends_at` in UTC), so changing the
  window or the player's time zone never cuts a run short.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from events.models import DETAIL_MODELS, has_field
from shared.domain.authoring.rules import (
    Action,
    Condition,
    DetailTypes,
    Slug,
    check_reward_actions,
)
from shared.domain.basics.calendar_dates import calendar_window
from shared.domain.language.patterns import Matcher, compile_pattern

# Distinct values are kept until the target is reached, so this bounds the state they cost.
MAX_DISTINCT_TARGET = 100
EventField = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]


class MissionStep(BaseModel):
    """One condition of a mission and how far the player must take it."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    step_id: Slug
    name: Annotated[str, Field(max_length=80)] = ""
    on: DetailTypes
    # EventBridge pattern on {"event": ..., "player": ...}, exactly as in rules.
    match: Condition = None
    # count: matching events; sum: of a numeric event field; distinct: different values.
    counter: Literal["count", "sum", "distinct"] = "count"
    field: EventField | None = None
    target: Annotated[Decimal, Field(gt=0, le=1_000_000_000)] = Decimal(1)

    @model_validator(mode="after")
    def _counter_fits(self) -> MissionStep:
        if self.counter == "count":
            if self.field is not None:
                raise ValueError("field: a count step counts events; it takes no field")
        elif self.field is None:
            raise ValueError(f"field: a {self.counter} step needs the event field it reads")
        else:
            lacking = [t for t in self.on if not has_field(t, self.field)]
            if lacking:
                raise ValueError(f"field: {lacking} events have no {self.field!r}")
            if self.counter == "sum":
                not_numbers = [t for t in self.on if not _numeric_field(t, self.field)]
                if not_numbers:
                    raise ValueError(f"field: {self.field!r} is not a number in {not_numbers}")
        if self.counter != "sum" and self.target != self.target.to_integral_value():
            raise ValueError(f"target: a {self.counter} target is a whole number")
        if self.counter == "distinct" and self.target > MAX_DISTINCT_TARGET:
            raise ValueError(f"target: at most {MAX_DISTINCT_TARGET} distinct values")
        return self


def _numeric_field(detail_type: str, name: str) -> bool:
    info = DETAIL_MODELS[detail_type].model_fields.get(name)
    if info is None:
        return False
    annotation = info.annotation
    options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    kinds = {o for o in options or (annotation,) if o is not type(None)}
    return bool(kinds) and kinds <= {Decimal, int}


class MissionWindow(BaseModel):
    """When progress counts: once (the mission's whole life), a calendar day, week (Monday
    start) or month in the player's own time zone, or N days from the run's start."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["once", "day", "week", "month", "rolling"] = "once"
    days: Annotated[int, Field(ge=1, le=366)] | None = None

    @model_validator(mode="after")
    def _days_for_rolling(self) -> MissionWindow:
        if (self.kind == "rolling") != (self.days is not None):
            raise ValueError("days: given for a rolling window, and only for one")
        return self


class Mission(BaseModel):
    """A mission marketers edit; see docs/missions.md for what an edit does to progress."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    mission_id: Slug
    # The marketer's revision, carried into progress and engage.mission.completed. Progress
    # does not depend on it being bumped: edits are applied by the rules in the docs.
    version: Annotated[int, Field(ge=1)] = 1
    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(max_length=500)] = ""
    icon: Annotated[str, Field(max_length=500)] | None = None
    enabled: bool = True
    enrollment: Literal["auto", "opt_in"] = "auto"
    # any: each step counts on its own; sequence: a step counts only once the ones before
    # it are done (an event advances one step at most).
    order: Literal["any", "sequence"] = "any"
    steps: list[MissionStep] = Field(min_length=1, max_length=10)
    window: MissionWindow = Field(default_factory=MissionWindow)
    # A fresh run every window; without it a mission completes at most once.
    recurring: bool = False
    # Availability: events before starts_at or from ends_at on count for nothing.
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    reward: list[Action] = Field(default_factory=list, max_length=10)
    # Step patterns compiled once, when the config is loaded.
    _matchers: dict[str, Matcher | None] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._matchers = {
            s.step_id: compile_pattern(s.match) if s.match else None for s in self.steps
        }

    def matches(self, step: MissionStep, detail_type: str, doc: Mapping[str, Any]) -> bool:
        """Whether an event (as its match document) counts for `step`."""
        if detail_type not in step.on:
            return False
        matcher = self._matchers.get(step.step_id)
        return matcher is None or matcher.matches(doc)

    @model_validator(mode="after")
    def _consistent(self) -> Mission:
        ids = [s.step_id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("steps: each step_id at most once")
        if self.recurring and self.window.kind == "once":
            raise ValueError("recurring: needs a day, week, month or rolling window")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        check_reward_actions(self.reward, "reward", "reward.")
        return self


def step_key(step: MissionStep) -> str:
    """Where a step's counter is kept: its id plus what it measures (see module doc)."""
    if step.counter == "count":
        return step.step_id
    return f"{step.step_id}:{step.counter}:{step.field}"


# --- progress (kept in PlayerState.missions) --------------------------------------------


class StepProgress(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    # Events counted, amount summed, or number of distinct values seen.
    n: Decimal = Decimal(0)
    # Distinct values seen (only until the target is reached).
    seen: list[str] = Field(default_factory=list)


class MissionProgress(BaseModel):
    """A player's progress on one mission: the current run, and how often it was done."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    joined_at: datetime | None = None
    # The current run: which occurrence, its window in UTC, the version it started under.
    period: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    version: int = 1
    steps: dict[str, StepProgress] = Field(default_factory=dict)
    completed_at: datetime | None = None
    completions: int = 0

    def current(self, at: datetime) -> bool:
        """Whether `at` falls in the run this progress holds."""
        if self.period is None or self.starts_at is None or at < self.starts_at:
            return False
        return self.ends_at is None or at < self.ends_at


def step_value(mission: Mission, progress: MissionProgress | None, step: MissionStep) -> Decimal:
    if progress is None:
        return Decimal(0)
    counted = progress.steps.get(step_key(step))
    return counted.n if counted else Decimal(0)


def step_done(mission: Mission, progress: MissionProgress | None, step: MissionStep) -> bool:
    return step_value(mission, progress, step) >= step.target


def percent(mission: Mission, progress: MissionProgress | None) -> int:
    """Progress bar value 0-100: the mean of each step's min(value / target, 1), floored;
    100 only when complete (a lowered target completes on the player's next event)."""
    if progress is not None and progress.completed_at is not None:
        return 100
    shares = [min(step_value(mission, progress, s) / s.target, Decimal(1)) for s in mission.steps]
    value = int(sum(shares, Decimal(0)) * 100 / len(shares))
    return min(value, 99)


# --- windows ---------------------------------------------------------------------------


def run_window(
    mission: Mission, at: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime | None, str]:
    """The window of a run starting at `at`: (start, end or None, period key).

    Not clipped to the mission's `ends_at`: availability is checked on its own, so moving
    `ends_at` later never splits (and so never resets) a run that is under way."""
    kind = mission.window.kind
    if kind == "once":
        return (mission.starts_at or at).astimezone(UTC), None, "once"
    if kind == "rolling":
        start = at.astimezone(UTC)
        end = start + timedelta(days=mission.window.days or 1)
        return start, end, start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return calendar_window(kind, at, tz)


def window_end(mission: Mission, progress: MissionProgress | None) -> datetime | None:
    """When the current run stops counting: its window's end or the mission's, if sooner."""
    ends = [t for t in (progress.ends_at if progress else None, mission.ends_at) if t]
    return min(ends) if ends else None


def available(mission: Mission, at: datetime) -> bool:
    """Whether the mission counts events at `at` (its availability, not the player's run)."""
    if mission.starts_at is not None and at < mission.starts_at:
        return False
    return mission.ends_at is None or at < mission.ends_at
