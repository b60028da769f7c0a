"""Missions in a decision: opt-in, counting an event toward each step, completion once.

Runs after the rules of the same event, on the same match document, so a mission sees the
player exactly as the rules did and its reward lands after the rules' effects. Windows
are lazy: a run's window is fixed (in UTC) when the run starts, from the event's time in
the player's time zone, and a later event outside it starts the next run. No timers.

Advances every mission the event counts for; completes each run at most once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from events.models import MissionCompleted, MissionJoined
from shared.domain.authoring.rules import CompiledRule, Rule
from shared.domain.basics.calendar_dates import zone
from shared.domain.game.missions import (
    Mission,
    MissionProgress,
    MissionStep,
    StepProgress,
    available,
    run_window,
    step_done,
    step_key,
)
from shared.domain.run.context import DecisionContext

MISSION_RULE_PREFIX = "mission:"


def mission_rule(mission: Mission) -> CompiledRule:
    """The synthetic rule a mission's reward runs under: id `mission:<id>`, which no
    marketer rule can take (rule ids cannot hold ':'), so ledger and outbox ids never clash."""
    rule = Rule.model_construct(
        rule_id=f"{MISSION_RULE_PREFIX}{mission.mission_id}",
        description=mission.name,
        enabled=True,
        priority=0,
        on=["engage.mission.completed"],
        match=None,
        then=list(mission.reward),
        limit=None,
    )
    return CompiledRule(rule=rule, matcher=None)


def advance_missions(ctx: DecisionContext, doc: Mapping[str, Any]) -> None:
    missions = ctx.config.game.missions
    if isinstance(ctx.event, MissionJoined):
        join_mission(ctx, None, ctx.event.mission_id, "event")
    for mission_id in sorted(missions):
        _advance(ctx, missions[mission_id], doc)


def join_mission(ctx: DecisionContext, rule_id: str | None, mission_id: str, path: str) -> None:
    """Opt the player in (from a rule's join_mission or a player.mission_joined event)."""
    who = rule_id or f"{MISSION_RULE_PREFIX}{mission_id}"
    mission = ctx.config.game.missions.get(mission_id)
    if mission is None or mission.enrollment != "opt_in":
        ctx.trace(who, f"join mission {mission_id}: no such opt-in mission, ignored")
        return
    progress = ctx.state.missions.setdefault(mission_id, MissionProgress())
    if progress.joined_at is not None:
        ctx.trace(who, f"mission {mission_id}: already joined")
        return
    progress.joined_at = ctx.event.occurred_at
    ctx.trace(who, f"mission {mission_id} joined")


def _advance(ctx: DecisionContext, mission: Mission, doc: Mapping[str, Any]) -> None:
    rule_id = f"{MISSION_RULE_PREFIX}{mission.mission_id}"
    at = ctx.event.occurred_at
    progress = ctx.state.missions.get(mission.mission_id)
    if mission.enrollment == "opt_in" and (progress is None or progress.joined_at is None):
        return
    if progress is not None and progress.joined_at is not None and at < progress.joined_at:
        return  # happened before the player opted in
    if not available(mission, at):
        return
    detail_type = ctx.event.detail_type
    hits = [s for s in mission.steps if mission.matches(s, detail_type, doc)]
    in_run = progress is not None and progress.current(at)
    if progress is not None and in_run and _same_shape(mission, progress):
        run = progress
    else:
        if not hits:
            return  # nothing to count: no run is started (keeps most players' state small)
        if progress is not None and progress.starts_at is not None and at < progress.starts_at:
            ctx.trace(rule_id, "event predates the current run: not counted")
            return
        if progress is not None and progress.completions and not mission.recurring:
            return  # done for good
        # The window's kind was edited mid-run: the counts move into the new run.
        carry = in_run and progress is not None and progress.completed_at is None
        run = _start_run(ctx, mission, progress, carry=carry)
    if run.completed_at is not None:
        return  # this period is complete: nothing more counts, nothing pays twice
    if mission.order == "sequence":
        first_open = next((s for s in mission.steps if not step_done(mission, run, s)), None)
        hits = [first_open] if first_open is not None and first_open in hits else []
    for step in hits:
        _count(ctx, mission, run, step, rule_id)
    # Checked on every event in a run, so a lowered target completes on the next event.
    if all(step_done(mission, run, s) for s in mission.steps):
        _complete(ctx, mission, run, rule_id)


def _start_run(
    ctx: DecisionContext, mission: Mission, progress: MissionProgress | None, *, carry: bool
) -> MissionProgress:
    at = ctx.event.occurred_at
    if mission.enrollment == "opt_in" and mission.window.kind == "rolling" and progress:
        # An opt-in rolling run counts from when the player joined, if that window is live.
        joined = progress.joined_at
        if joined is not None and progress.period is None:
            at = joined
    start, end, period = run_window(mission, at, zone(ctx.state.profile.time_zone))
    if end is not None and ctx.event.occurred_at >= end:
        start, end, period = run_window(
            mission, ctx.event.occurred_at, zone(ctx.state.profile.time_zone)
        )
    run = progress or MissionProgress()
    if run.period == period and run.ends_at is not None and end is not None:
        # The player moved west: in their new zone it is still the same local week (or
        # day, month). The run goes on to the new local end; it cannot complete twice.
        run.ends_at = max(run.ends_at, end)
        ctx.trace(f"{MISSION_RULE_PREFIX}{mission.mission_id}", f"run {period} extended")
        return run
    run.period, run.starts_at, run.ends_at = period, start, end
    run.version = mission.version
    if not carry:
        run.steps = {}
    run.completed_at = None
    ctx.state.missions[mission.mission_id] = run
    ctx.trace(f"{MISSION_RULE_PREFIX}{mission.mission_id}", f"run {period} started")
    return run


def _count(
    ctx: DecisionContext, mission: Mission, run: MissionProgress, step: MissionStep, rule_id: str
) -> None:
    key = step_key(step)
    counted = run.steps.setdefault(key, StepProgress())
    if counted.n >= step.target:
        return
    if step.counter == "count":
        counted.n += 1
    elif step.counter == "sum":
        amount = _number(ctx.event.value_of(step.field or ""))
        if amount is None or amount <= 0:
            return
        counted.n += amount
    else:
        value = ctx.event.value_of(step.field or "")
        if value is None:
            return
        text = str(value)[:128]
        if text in counted.seen:
            return
        counted.seen.append(text)
        counted.n = Decimal(len(counted.seen))
    if counted.n >= step.target and step.counter == "distinct":
        counted.seen = []  # the target is reached: the values need no keeping any more
    ctx.trace(rule_id, "step {}: {}/{}", step.step_id, counted.n, step.target)


def _complete(ctx: DecisionContext, mission: Mission, run: MissionProgress, rule_id: str) -> None:
    at = ctx.event.occurred_at
    run.completed_at = at
    run.completions += 1
    period = run.period or "once"
    ctx.trace(rule_id, f"mission completed ({period}, version {mission.version})")
    if mission.reward:
        # Points pass the responsible-gaming gate inside award(), like any rule's bonus.
        ctx.execute(mission_rule(mission), mission.reward, path=f"mission.{period}.")
    ctx.publish(
        f"mission.{mission.mission_id}.{period}",
        MissionCompleted(
            player_id=ctx.event.player_id,
            event_id=f"mission.{mission.mission_id}.{period}.{ctx.event.player_id}"[:256],
            occurred_at=at,
            mission_id=mission.mission_id,
            mission_version=mission.version,
            period=period,
        ),
    )


def _same_shape(mission: Mission, run: MissionProgress) -> bool:
    """False once the mission's window was edited from once to a repeating kind, or back."""
    return (run.period == "once") == (mission.window.kind == "once")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
