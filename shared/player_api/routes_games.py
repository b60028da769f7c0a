"""Player API routes for spin-the-wheel and the reward store.

Refusals are answered with the typed error body: 404 unknown wheel/item, 403
`responsible_gaming` (self-excluded, cooling off, or an RG flag stands: the operator's
backend already knows the player's status, so the code says why), 409 for everything the
player could fix or that ran out (no_spins, insufficient_points, sold_out,
wheel_exhausted, limit_reached, request_reused), 503 `busy` when every attempt lost to
concurrent writers (retry with the same request_id: it is the idempotency key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field

from shared.player_api.params import PlayerIdPath
from shared.player_api.schemas import ErrorOut
from shared.player_api.services import PlayerApiServices
from shared.services.game_commands import GameBusy, GameRefused
from shared.services.game_records import PurchaseRecord, SpinRecord

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
SlugPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SLUG)]
STATUS = {"unknown_wheel": 404, "unknown_item": 404, "responsible_gaming": 403}


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class CommandIn(_Model):
    request_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Idempotency key chosen by the caller: a retry with it gets the same answer.",
    )


class WheelSpinsOut(_Model):
    wheel_id: str
    name: str
    count: int
    next_expiry: datetime | None = Field(description="When the first of these spins lapses.")


class SpinsOut(_Model):
    player_id: str
    wheels: list[WheelSpinsOut]


class SpinsPrizeOut(_Model):
    wheel_id: str
    count: int


class SpinOut(_Model):
    player_id: str
    spin_id: str
    wheel_id: str
    prize_id: str
    label: str
    reward: Literal["points", "badge", "spins", "nothing"]
    points: int | None = None
    badge: str | None = None
    spins: SpinsPrizeOut | None = None
    balance_after: int
    spins_left: int
    replayed: bool = Field(description="True when this request_id was already answered.")


class StoreItemOut(_Model):
    item_id: str
    name: str
    description: str
    price: int
    stock_left: int | None = Field(description="None: unlimited.")
    per_player: int | None
    gives: Literal["badge", "spins", "fulfilment"]


class StoreItemsOut(_Model):
    items: list[StoreItemOut]


class PurchaseOut(_Model):
    player_id: str
    purchase_id: str
    item_id: str
    name: str
    price: int
    gives: Literal["badge", "spins", "fulfilment"]
    balance_after: int
    replayed: bool


def error_response(status: int, code: str, message: str) -> Response[str]:
    body = ErrorOut(error=code, message=message).model_dump_json()
    return Response(status_code=status, content_type="application/json", body=body)


def _spin_out(r: SpinRecord, replayed: bool) -> SpinOut:
    spins = None
    if r.spins_wheel is not None and r.spins_count is not None:
        spins = SpinsPrizeOut(wheel_id=r.spins_wheel, count=r.spins_count)
    return SpinOut(
        player_id=r.player_id,
        spin_id=r.spin_id,
        wheel_id=r.wheel_id,
        prize_id=r.prize_id,
        label=r.label,
        reward=r.reward,
        points=r.points,
        badge=r.badge,
        spins=spins,
        balance_after=r.balance_after,
        spins_left=r.spins_left,
        replayed=replayed,
    )


def _purchase_out(r: PurchaseRecord, replayed: bool) -> PurchaseOut:
    return PurchaseOut(
        player_id=r.player_id,
        purchase_id=r.purchase_id,
        item_id=r.item_id,
        name=r.name,
        price=r.price,
        gives=r.gives,
        balance_after=r.balance_after,
        replayed=replayed,
    )


def register(app: APIGatewayHttpResolver, services: PlayerApiServices) -> None:
    games = services.games

    @app.exception_handler(GameRefused)  # type: ignore[untyped-decorator]
    def refused(exc: GameRefused) -> Response[str]:
        return error_response(STATUS.get(exc.code, 409), exc.code, exc.reason)

    @app.exception_handler(GameBusy)  # type: ignore[untyped-decorator]
    def busy(exc: GameBusy) -> Response[str]:
        return error_response(503, "busy", str(exc))

    @app.get("/v1/players/<player_id>/spins")
    def spins(player_id: PlayerIdPath) -> SpinsOut:
        """The player's live spins, by wheel."""
        return SpinsOut(
            player_id=player_id,
            wheels=[
                WheelSpinsOut(
                    wheel_id=w.wheel_id, name=w.name, count=w.count, next_expiry=w.next_expiry
                )
                for w in games.spins(player_id)
            ],
        )

    @app.post("/v1/players/<player_id>/wheels/<wheel_id>/spin")
    def spin(
        player_id: PlayerIdPath, wheel_id: SlugPath, body: Annotated[CommandIn, Body()]
    ) -> SpinOut:
        """Use one spin of the wheel (the oldest); the prize is drawn server-side."""
        done = games.spin(player_id, wheel_id, body.request_id)
        return _spin_out(done.record, done.replayed)

    @app.get("/v1/store/items")
    def store_items() -> StoreItemsOut:
        """Every enabled store item, with the stock left."""
        return StoreItemsOut(
            items=[
                StoreItemOut(
                    item_id=o.item.item_id,
                    name=o.item.name,
                    description=o.item.description,
                    price=o.item.price,
                    stock_left=o.stock_left,
                    per_player=o.item.per_player,
                    gives=o.item.gives,
                )
                for o in games.items()
            ]
        )

    @app.post("/v1/players/<player_id>/store/<item_id>/buy")
    def buy(
        player_id: PlayerIdPath, item_id: SlugPath, body: Annotated[CommandIn, Body()]
    ) -> PurchaseOut:
        """Buy one unit with points: balance and stock are taken atomically."""
        done = games.buy(player_id, item_id, body.request_id)
        return _purchase_out(done.record, done.replayed)
