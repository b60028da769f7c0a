"""Badges: named achievements granted once per player, from rules (`grant_badge`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.authoring.rules import Slug


class Badge(BaseModel):
    """A badge's catalogue entry: what the player's app shows for it."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    badge_id: Slug
    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(max_length=500)] = ""
    icon: Annotated[str, Field(max_length=500)] | None = None
    enabled: bool = True
