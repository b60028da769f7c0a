"""What the reorder window keeps in a player's state: events waiting for their turn.

With a reorder window W (docs/design.md, "Ordering"), an event is decided only once it is
W old by event time. Until then it waits here, in the player's version-checked state item,
so an event that was delivered late but within W is decided in its event-time place.
`wake_at` is when the player's wake-up schedule fires to decide what has ripened if no
other event of the player comes first.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class HeldEvent(BaseModel):
    """A validated event, kept as its detail JSON until it is W old."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str
    occurred_at: datetime
    detail_type: str
    detail: str


class Hold(BaseModel):
    """The player's held events (event-time order) and the pending wake-up, if any."""

    model_config = ConfigDict(extra="forbid")

    events: list[HeldEvent] = Field(default_factory=list)
    wake_at: datetime | None = None
    wake_generation: int = 0
