"""Missions in the player API: each available mission with status, progress % and steps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.game.mission_views import MissionView
from shared.player_api.params import PlayerIdPath

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from shared.player_api.services import PlayerApiServices


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class MissionStepOut(_Out):
    step_id: str
    name: str
    value: Decimal = Field(description="Counted so far in this run (capped at the target).")
    target: Decimal


class MissionOut(_Out):
    mission_id: str
    version: int
    name: str
    description: str
    icon: str | None
    enrollment: Literal["auto", "opt_in"]
    joined: bool
    status: Literal["upcoming", "not_joined", "in_progress", "completed", "expired"]
    progress_percent: int = Field(ge=0, le=100, description="For a progress bar; 100 = done.")
    steps: list[MissionStepOut]
    period: str | None = Field(description="This run: 'once' or its window's start.")
    window_ends_at: datetime | None = Field(description="When this run stops counting.")
    ends_at: datetime | None = Field(description="When the mission itself expires.")
    recurring: bool
    completions: int


class MissionsOut(_Out):
    player_id: str
    missions: list[MissionOut]


def _out(view: MissionView) -> MissionOut:
    m = view.mission
    return MissionOut(
        mission_id=m.mission_id,
        version=m.version,
        name=m.name,
        description=m.description,
        icon=m.icon,
        enrollment=m.enrollment,
        joined=view.joined,
        status=view.status,
        progress_percent=view.progress_percent,
        steps=[MissionStepOut(**vars(s)) for s in view.steps],
        period=view.period,
        window_ends_at=view.window_ends_at,
        ends_at=m.ends_at,
        recurring=m.recurring,
        completions=view.completions,
    )


def register(app: APIGatewayHttpResolver, services: PlayerApiServices) -> None:
    @app.get("/v1/players/<player_id>/missions")
    def missions(player_id: PlayerIdPath) -> MissionsOut:
        """Each available mission: status, progress %, per-step values, window end.

        Opt-in missions are joined by putting `player.mission_joined` on the bus."""
        views = services.missions.list(player_id)
        return MissionsOut(player_id=player_id, missions=[_out(v) for v in views])
