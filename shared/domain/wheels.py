"""Wheel config (being built for issue 3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.domain.rules import Slug


class Wheel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    wheel_id: Slug
    enabled: bool = True
