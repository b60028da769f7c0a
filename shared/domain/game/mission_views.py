"""What a player's app shows for a mission at a moment: status, %, steps, window end.

Pure and read-only: a stored run whose window is over shows as the fresh run the player's
next counted event would start (0 %), the same lazy reading the decision uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from shared.domain.game.missions import (
    Mission,
    MissionProgress,
    percent,
    run_window,
    step_value,
)

MissionStatus = Literal["upcoming", "not_joined", "in_progress", "completed", "expired"]


@dataclass(frozen=True)
class StepView:
    step_id: str
    name: str
    value: Decimal
    target: Decimal


@dataclass(frozen=True)
class MissionView:
    mission: Mission
    status: MissionStatus
    joined: bool
    progress_percent: int
    steps: list[StepView]
    period: str | None
    window_ends_at: datetime | None
    completions: int


def mission_view(
    mission: Mission, progress: MissionProgress | None, tz: ZoneInfo, now: datetime
) -> MissionView:
    """The mission as the player sees it at `now` (their time zone decides the window)."""
    joined = mission.enrollment == "auto" or bool(progress and progress.joined_at)
    completions = progress.completions if progress else 0
    live = progress if progress is not None and progress.current(now) else None
    if live is not None and (live.period == "once") != (mission.window.kind == "once"):
        live = None if live.completed_at is not None else live
    _, end, period = run_window(mission, now, tz)
    if live is not None:
        period, end = live.period or period, live.ends_at
    if mission.window.kind == "rolling" and live is None:
        end = None  # a rolling run starts with the player's next counted event
    if mission.ends_at is not None:
        end = mission.ends_at if end is None else min(end, mission.ends_at)
    status: MissionStatus
    if mission.starts_at is not None and now < mission.starts_at:
        status = "upcoming"
    elif (live is not None and live.completed_at is not None) or (
        completions and not mission.recurring
    ):
        status = "completed"
    elif mission.ends_at is not None and now >= mission.ends_at:
        status = "expired"
    elif not joined:
        status = "not_joined"
    else:
        status = "in_progress"
    shown = live if status != "completed" or live is not None else progress
    return MissionView(
        mission=mission,
        status=status,
        joined=joined,
        progress_percent=percent(mission, shown),
        steps=[
            StepView(s.step_id, s.name, min(step_value(mission, shown, s), s.target), s.target)
            for s in mission.steps
        ],
        period=period if status != "upcoming" else None,
        window_ends_at=end,
        completions=completions,
    )
