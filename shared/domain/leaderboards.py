"""Leaderboard config (being built for issue 3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.domain.rules import Slug


class Leaderboard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    board_id: Slug
    enabled: bool = True
