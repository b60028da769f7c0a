"""What the reorder window keeps in a player's state: events waiting for their turn.

With a reorder window W (docs/design.md, "Ordering"), an event is decided only once it is
W old by event time. Until then it waits here, in the player's version-checked state item,
so an event that was delivered late but within W is decided in its event-time place.
`wake_at` is when the player's wake-up schedule fires to decide what has ripened if no
other event of the player comes first.

The held events are stored compressed (zlib, then base85): the state item is paid for on
every write (1 WCU per started KB, twice in a transaction), and a slots session holds a few
dozen rounds whose JSON repeats the same keys. benchmarks/reorder_cost.py measures it.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator


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

    @field_serializer("events")
    def _pack(self, events: list[HeldEvent]) -> str | list[Any]:
        if not events:
            return []
        rows = [[e.event_id, e.occurred_at.isoformat(), e.detail_type, e.detail] for e in events]
        raw = json.dumps(rows, separators=(",", ":")).encode()
        return base64.b85encode(zlib.compress(raw, 6)).decode("ascii")

    @field_validator("events", mode="before")
    @classmethod
    def _unpack(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        rows = json.loads(zlib.decompress(base64.b85decode(value)))
        return [
            {"event_id": r[0], "occurred_at": r[1], "detail_type": r[2], "detail": r[3]}
            for r in rows
        ]
