"""Mission config (being built for issue 3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.domain.rules import Slug


class Mission(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mission_id: Slug
    enabled: bool = True
