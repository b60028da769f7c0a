"""A player's spins and store purchases on their state, and when a spin or a purchase is refused.

The refusal checks are shared by the player API service (to answer before committing
anything) and the decision (which applies the command only if the same check passes), so
the two can never disagree about what a player may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.players.rg import RgStatus, gate

if TYPE_CHECKING:
    # Annotations only: the state imports this module, and the config is heavy to import.
    from shared.domain.game.game_config import GameConfig

WHEEL_RULE = "wheel"
STORE_RULE = "store"
# Live spins one player may hold per wheel: bounds the state item whatever the rules do.
MAX_LIVE_SPINS = 100
# A spin or purchase is applied only by the request that made it, moments after; an old
# copy (the bus echo after its marker lapsed, an archive replay) is never applied again.
APPLY_WINDOW = timedelta(minutes=15)

RefusalCode = Literal[
    "unknown_wheel",
    "no_spins",
    "responsible_gaming",
    "unknown_item",
    "limit_reached",
    "insufficient_points",
    "sold_out",
    "wheel_exhausted",
    "price_changed",
    "stale",
]


class SpinGrant(BaseModel):
    """One spin of a wheel, usable once, until `expires_at`."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    grant_id: str
    granted_at: datetime
    expires_at: datetime
    rule_id: str


class Rewards(BaseModel):
    """Spins held (by wheel, oldest first) and store items bought (count by item)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    spins: dict[str, list[SpinGrant]] = Field(default_factory=dict)
    bought: dict[str, int] = Field(default_factory=dict)

    def live(self, wheel_id: str, at: datetime) -> list[SpinGrant]:
        return [g for g in self.spins.get(wheel_id, []) if g.expires_at > at]

    def drop_lapsed(self, at: datetime) -> int:
        """Forget spins that lapsed by `at` (lazily: no timer per grant); returns how many."""
        dropped = 0
        for wheel_id in list(self.spins):
            kept = self.live(wheel_id, at)
            dropped += len(self.spins[wheel_id]) - len(kept)
            if kept:
                self.spins[wheel_id] = kept
            else:
                del self.spins[wheel_id]
        return dropped


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    reason: str


def _rg(rg: RgStatus, at: datetime, now: datetime) -> Refusal | None:
    verdict = gate(rg, "bonus", (at, now))
    if verdict.allowed:
        return None
    return Refusal("responsible_gaming", verdict.reason or "responsible gaming")


def spin_refusal(
    rewards: Rewards, rg: RgStatus, wheel_id: str, game: GameConfig, at: datetime
) -> Refusal | None:
    """Why this player may not spin this wheel at `at` now (None: they may)."""
    if wheel_id not in game.wheels:
        return Refusal("unknown_wheel", f"no enabled wheel {wheel_id!r}")
    refused = _rg(rg, at, at)
    if refused is not None:
        return refused
    if not rewards.live(wheel_id, at):
        return Refusal("no_spins", f"no spins of {wheel_id!r} left")
    return None


def purchase_refusal(
    rewards: Rewards,
    rg: RgStatus,
    balance: int,
    item_id: str,
    game: GameConfig,
    at: datetime,
) -> Refusal | None:
    """Why this player may not buy this item at `at` (None: they may; stock aside)."""
    item = game.store.get(item_id)
    if item is None:
        return Refusal("unknown_item", f"no enabled store item {item_id!r}")
    refused = _rg(rg, at, at)
    if refused is not None:
        return refused
    if item.per_player is not None and rewards.bought.get(item_id, 0) >= item.per_player:
        return Refusal("limit_reached", f"at most {item.per_player} per player")
    if balance < item.price:
        return Refusal("insufficient_points", f"needs {item.price} points, balance is {balance}")
    return None
