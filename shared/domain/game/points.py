"""The points wallet: earn, spend, expire and reverse, with the ledger line for each.

The spendable balance is held as *lots*: points that share an expiry moment are one lot,
so a player carries one lot per expiry day (or per month with `end_of_month` expiry), not
one per earn. Spends take the lots that expire first, so points about to lapse are used
before fresh ones. Every movement writes a ledger line whose `balance_after` continues the
previous one; `points_balance == sum(lot.remaining) == sum(ledger points)` always holds and
no function here can make the balance negative: a spend beyond it raises, and a clawback
beyond it takes what is there and records the rest as `owed`, which later earns repay first.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.basics.calendar_dates import local_midnight
from shared.domain.basics.durations import IsoDuration

EXPIRY_TIMER = "points.expiry"
POINTS_RULE = "points"


def deposit_source(deposit_id: str) -> str:
    """The reference a deposit's earns are reversible by (`wallet.deposit_reversed`)."""
    return f"deposit:{deposit_id}"


class InsufficientPoints(ValueError):
    """A spend asked for more points than the spendable balance holds."""

    def __init__(self, wanted: int, balance: int) -> None:
        super().__init__(f"needs {wanted} points, balance is {balance}")
        self.wanted = wanted
        self.balance = balance


class PointsPolicy(BaseModel):
    """How earned points lapse and how long an earn can be clawed back (config `points`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    policy_id: Literal["points"] = "points"
    # Lapse N days after the earn, at the end of that day in the player's time zone ...
    expire_after_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    # ... or at the end of the month, `months_after` months after the earn's month
    # (0 = the month it was earned in), also in the player's time zone.
    expire_at_month_end: bool = False
    months_after: Annotated[int, Field(ge=0, le=120)] = 0
    # An earn that references a deposit or an order can be reversed within this window.
    reversal_window: IsoDuration = timedelta(days=180)

    @model_validator(mode="after")
    def _one_expiry(self) -> PointsPolicy:
        if self.expire_after_days is not None and self.expire_at_month_end:
            raise ValueError("give either 'expire_after_days' or 'expire_at_month_end', not both")
        if self.months_after and not self.expire_at_month_end:
            raise ValueError("months_after: only with expire_at_month_end")
        return self

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When points earned at `earned_at` lapse (UTC), or None if they never do."""
        local = earned_at.astimezone(zone).date()
        if self.expire_after_days is not None:
            last_day = local + timedelta(days=self.expire_after_days)
        elif self.expire_at_month_end:
            month_index = local.year * 12 + (local.month - 1) + self.months_after
            year, month = divmod(month_index, 12)
            last_day = date(year, month + 1, calendar.monthrange(year, month + 1)[1])
        else:
            return None
        # The end of the last day is the start of the next one, in local wall-clock time.
        return local_midnight(last_day + timedelta(days=1), zone)


class Lot(BaseModel):
    """Spendable points that lapse together (never, when `expires_at` is None)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    expires_at: datetime | None = None
    remaining: Annotated[int, Field(ge=1)]


class Earning(BaseModel):
    """An earn that may still be reversed by its reference (a deposit, an order)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    entry_id: str
    points: int
    earned_at: datetime
    expires_at: datetime | None = None


class Wallet(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    lots: list[Lot] = Field(default_factory=list)
    # "deposit:<id>" -> the earns it caused. Not stored in the state item (a daily depositor
    # would carry months of them on every write): the store keeps one REV# item per earn and
    # loads a reference's earns only for a batch that reverses it.
    reversible: dict[str, list[Earning]] = Field(default_factory=dict, exclude=True)
    # Clawed-back points the balance could not cover; later earns repay these first.
    owed: Annotated[int, Field(ge=0)] = 0

    def total(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def next_expiry(self) -> datetime | None:
        dated = [lot.expires_at for lot in self.lots if lot.expires_at is not None]
        return min(dated) if dated else None


@dataclass(frozen=True)
class Movement:
    """One ledger movement before it becomes a line: signed points and why."""

    kind: Literal["earn", "spend", "expire", "reverse"]
    points: int
    at: datetime
    ref: str | None = None


def _order(lot: Lot) -> tuple[int, datetime]:
    # Lapsing lots first, earliest first; never-lapsing lots last.
    if lot.expires_at is None:
        return (1, datetime.max.replace(tzinfo=UTC))
    return (0, lot.expires_at)


def _add_lot(wallet: Wallet, points: int, expires_at: datetime | None) -> None:
    for lot in wallet.lots:
        if lot.expires_at == expires_at:
            lot.remaining += points
            return
    wallet.lots.append(Lot(expires_at=expires_at, remaining=points))
    wallet.lots.sort(key=_order)


_ANY = object()


def _take(wallet: Wallet, points: int, prefer: object = _ANY) -> int:
    """Remove up to `points` from the lots (the lot expiring at `prefer` first, if given),
    then earliest-expiring first; returns how many were taken."""
    lots = sorted(
        wallet.lots, key=lambda lot: (prefer is not _ANY and lot.expires_at != prefer, _order(lot))
    )
    taken = 0
    for lot in lots:
        if taken == points:
            break
        step = min(lot.remaining, points - taken)
        lot.remaining -= step
        taken += step
    wallet.lots = [lot for lot in wallet.lots if lot.remaining > 0]
    return taken


def earn(
    wallet: Wallet,
    points: int,
    *,
    at: datetime,
    expires_at: datetime | None,
    entry_id: str,
    ref: str | None,
) -> list[Movement]:
    """Credit `points` (> 0); a debt from earlier clawbacks is repaid from them first.

    `ref` ("deposit:<id>") makes the earn reversible by that reference.
    """
    if points <= 0:
        raise ValueError("earn needs a positive number of points")
    _add_lot(wallet, points, expires_at)
    moves = [Movement("earn", points, at)]
    if ref is not None:
        wallet.reversible.setdefault(ref, []).append(
            Earning(entry_id=entry_id, points=points, earned_at=at, expires_at=expires_at)
        )
    if wallet.owed:
        repaid = _take(wallet, min(wallet.owed, points), prefer=expires_at)
        wallet.owed -= repaid
        moves.append(Movement("reverse", -repaid, at, ref="owed"))
    return moves


def spend(wallet: Wallet, points: int, *, at: datetime, ref: str) -> Movement:
    """Debit exactly `points` (> 0) or raise InsufficientPoints and change nothing."""
    if points <= 0:
        raise ValueError("spend needs a positive number of points")
    balance = wallet.total()
    if points > balance:
        raise InsufficientPoints(points, balance)
    _take(wallet, points)
    return Movement("spend", -points, at, ref=ref)


def expire_due(wallet: Wallet, now: datetime) -> list[Movement]:
    """Lapse every lot whose moment has come; one movement per lot, dated at its expiry."""
    moves = []
    for lot in sorted(wallet.lots, key=_order):
        if lot.expires_at is not None and lot.expires_at <= now:
            moves.append(Movement("expire", -lot.remaining, lot.expires_at))
    wallet.lots = [lot for lot in wallet.lots if lot.expires_at is None or lot.expires_at > now]
    return moves


def reverse(
    wallet: Wallet, ref: str, *, at: datetime, keep_from: datetime
) -> tuple[list[Movement], list[Earning]]:
    """Claw back what the earns of `ref` credited; what the balance lacks becomes `owed`.

    Returns the movements and the earns reversed (empty if `ref` is unknown, already
    reversed, or earned before `keep_from`, the start of the reversal window).
    """
    earnings = [e for e in wallet.reversible.pop(ref, []) if e.earned_at >= keep_from]
    moves = []
    for earning in earnings:
        taken = _take(wallet, earning.points, prefer=earning.expires_at)
        wallet.owed += earning.points - taken
        moves.append(Movement("reverse", -taken, at, ref=earning.entry_id))
    return moves, earnings
