"""Response models of the player API (also its OpenAPI document).

Only what a game client shows: no contact data (email, phone, device tokens) ever leaves
through this API, because its answers are relayed by the operator's backend to players.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_PAGE_SIZE = 50


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class InboxMessageOut(_Out):
    message_id: str
    template: str
    category: Literal["marketing", "service"]
    subject: str
    text: str
    delivered_at: datetime
    expires_at: datetime
    read: bool


class InboxPageOut(_Out):
    player_id: str
    messages: list[InboxMessageOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page; absent on the last."
    )


class ReadOut(_Out):
    player_id: str
    message_id: str
    read: Literal[True] = True


class SummaryOut(_Out):
    player_id: str
    points_balance: int
    lifecycle_stage: str | None
    segments: list[str]
    unread_count: int


class ErrorOut(_Out):
    error: str
    message: str
