"""Reward-store items: bought with points, with optional stock and a per-player limit.

What an item gives is a badge, spins of a wheel, or nothing but the `engage.store.purchased`
event, which the operator fulfils (a free bet, a voucher, merchandise).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.authoring.rules import GrantSpins, Slug


class StoreItem(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    item_id: Slug
    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(max_length=500)] = ""
    price: Annotated[int, Field(ge=1, le=100_000_000)]
    # How many can ever be sold (None: unlimited); a config edit only moves the limit.
    stock: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None
    # How many one player may buy, ever (None: no limit).
    per_player: Annotated[int, Field(ge=1, le=10_000)] | None = None
    badge: Slug | None = None
    spins: GrantSpins | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _one_thing(self) -> StoreItem:
        if self.badge is not None and self.spins is not None:
            raise ValueError("an item gives a badge or spins, not both")
        return self

    @property
    def gives(self) -> Literal["badge", "spins", "fulfilment"]:
        if self.badge is not None:
            return "badge"
        if self.spins is not None:
            return "spins"
        return "fulfilment"
