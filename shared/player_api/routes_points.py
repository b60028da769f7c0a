"""Player API routes for points (balance, ledger pages), tier progress and badges."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from shared.player_api.params import NotFound, PlayerIdPath, UnknownPlayer
from shared.player_api.schemas import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from shared.player_api.services import PlayerApiServices


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class BalanceOut(_Out):
    player_id: str
    balance: int = Field(description="Spendable points.")
    owed: int = Field(description="Clawed-back points not yet covered; repaid by future earns.")
    next_expiry: datetime | None = Field(description="When the earliest points lapse, if any.")
    expiring_points: int = Field(description="How many points lapse at next_expiry.")


class LedgerLineOut(_Out):
    entry_id: str
    kind: Literal["earn", "spend", "expire", "reverse", "merge"]
    points: int
    balance_after: int
    occurred_at: datetime
    reason: str
    expires_at: datetime | None


class LedgerPageOut(_Out):
    player_id: str
    lines: list[LedgerLineOut]
    next_cursor: str | None = None


class TierOut(_Out):
    player_id: str
    tier: str | None
    tier_name: str | None
    qualifying_points: int = Field(description="Points earned in the current window.")
    next_tier: str | None
    next_tier_name: str | None
    points_to_next: int | None
    percent: int = Field(ge=0, le=100, description="Progress toward the next tier.")
    review_at: datetime | None = Field(description="When a downgrade is next considered.")


class BadgeOut(_Out):
    badge_id: str
    name: str
    description: str
    icon: str | None
    granted_at: datetime


class BadgesOut(_Out):
    player_id: str
    badges: list[BadgeOut]


def register(app: APIGatewayHttpResolver, services: PlayerApiServices) -> None:
    points = services.points

    @app.get("/v1/players/<player_id>/points")
    def balance(player_id: PlayerIdPath) -> BalanceOut:
        """Spendable balance, clawback debt and the next expiry."""
        found = points.balance(player_id)
        if not found.known:
            raise UnknownPlayer(player_id)
        return BalanceOut(
            player_id=player_id,
            balance=found.balance,
            owed=found.owed,
            next_expiry=found.next_expiry,
            expiring_points=found.expiring_points,
        )

    @app.get("/v1/players/<player_id>/points/ledger")
    def ledger(
        player_id: PlayerIdPath,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
        cursor: Annotated[str | None, Query(max_length=1024)] = None,
    ) -> LedgerPageOut:
        """Ledger lines, newest first: earns, spends, expiries and reversals."""
        lines, next_cursor = points.ledger(player_id, limit=limit, cursor=cursor)
        return LedgerPageOut(
            player_id=player_id,
            lines=[
                LedgerLineOut(
                    entry_id=line.entry_id,
                    kind=line.kind,
                    points=line.points,
                    balance_after=line.balance_after,
                    occurred_at=line.occurred_at,
                    reason=line.reason,
                    expires_at=line.expires_at,
                )
                for line in lines
            ],
            next_cursor=next_cursor,
        )

    @app.get("/v1/players/<player_id>/tier")
    def tier(player_id: PlayerIdPath) -> TierOut:
        """Current tier, points earned in the window and progress to the next tier."""
        found = points.tier(player_id)
        if found is None:
            raise NotFound("no tier program is published")
        return TierOut(player_id=player_id, **found.model_dump())

    @app.get("/v1/players/<player_id>/badges")
    def badges(player_id: PlayerIdPath) -> BadgesOut:
        """Badges the player holds, oldest first, with their catalogue names."""
        return BadgesOut(
            player_id=player_id,
            badges=[
                BadgeOut(
                    badge_id=held.badge_id,
                    name=held.badge.name if held.badge else held.badge_id,
                    description=held.badge.description if held.badge else "",
                    icon=held.badge.icon if held.badge else None,
                    granted_at=held.granted_at,
                )
                for held in points.badges(player_id)
            ],
        )
