"""Player API routes for the shop: recommended products and predicted restocks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from events.models import Product
from shared.player_api.params import PlayerIdPath, UnknownPlayer

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from shared.player_api.services import PlayerApiServices

MAX_RECOMMENDATIONS = 20


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductOut(_Out):
    sku: str
    name: str
    price: Decimal = Field(description="Exact decimal (a JSON string), in `currency`.")
    currency: str
    image_url: str | None
    url: str | None
    category: str | None


class RecommendationsOut(_Out):
    player_id: str
    products: list[ProductOut] = Field(description="Best first (docs/ecommerce.md).")


class RestockOut(_Out):
    product: ProductOut
    predicted_at: datetime = Field(description="Last purchase + the player's usual interval.")
    due: bool = Field(description="The predicted time has come (not bought again since).")


class RestocksOut(_Out):
    player_id: str
    restocks: list[RestockOut] = Field(description="Soonest first.")


def _product(product: Product) -> ProductOut:
    return ProductOut.model_validate(product.model_dump(exclude={"quantity"}))


def register(app: APIGatewayHttpResolver, services: PlayerApiServices) -> None:
    shop = services.shop

    @app.get("/v1/players/<player_id>/recommendations")
    def recommendations(
        player_id: PlayerIdPath,
        limit: Annotated[int, Query(ge=1, le=MAX_RECOMMENDATIONS)] = 4,
    ) -> RecommendationsOut:
        """Products for this player from their own history and what is bought together."""
        found = shop.recommendations(player_id, limit)
        if found is None:
            raise UnknownPlayer(player_id)
        return RecommendationsOut(player_id=player_id, products=[_product(p) for p in found])

    @app.get("/v1/players/<player_id>/restock")
    def restock(player_id: PlayerIdPath) -> RestocksOut:
        """When the player will likely buy each product again, from their own intervals."""
        found = shop.restock(player_id)
        if found is None:
            raise UnknownPlayer(player_id)
        return RestocksOut(
            player_id=player_id,
            restocks=[
                RestockOut(product=_product(r.product), predicted_at=r.predicted_at, due=r.due)
                for r in found
            ],
        )
