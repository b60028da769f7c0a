"""Tiers (levels) on points earned in a qualification window (being built for issue 3)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.rules import Slug


class TierProgram(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    program_id: Slug
    enabled: bool = True


class TierStatus(BaseModel):
    """The player's tier and the points earned per qualification bucket."""

    model_config = ConfigDict(extra="forbid")

    tier: str | None = None
    since: datetime | None = None
    earned: dict[str, int] = Field(default_factory=dict)
