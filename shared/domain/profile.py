"""The player profile and how each event updates it (pure, event-time driven)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events.models import (
    ConsentChanged,
    Consents,
    DepositFailed,
    DepositSucceeded,
    EventDetail,
    PlayerLoggedIn,
    PlayerRegistered,
    RoundFinished,
)


class Profile(BaseModel):
    """What we know about a player, folded from their events.

    Conditions see these fields as `player.<name>` (plus `points_balance`).
    """

    model_config = ConfigDict(extra="forbid")

    player_id: str
    registered_at: datetime | None = None
    locale: str | None = None
    time_zone: str | None = None
    country: str | None = None
    first_name: str | None = None
    # Contact details are PII: kept encrypted at rest in the table, never logged.
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    consents: Consents = Field(default_factory=Consents)

    last_login_at: datetime | None = None
    login_count: int = 0

    deposit_count: int = 0
    deposit_totals: dict[str, Decimal] = Field(default_factory=dict)
    last_deposit_at: datetime | None = None
    failed_deposit_count: int = 0
    failed_deposit_streak: int = 0

    rounds_played: int = 0
    wins: int = 0
    losses: int = 0
    win_streak: int = 0
    loss_streak: int = 0
    last_round_at: datetime | None = None
    stake_totals: dict[str, Decimal] = Field(default_factory=dict)
    category_rounds: dict[str, int] = Field(default_factory=dict)
    favourite_category: str | None = None


def _add(totals: dict[str, Decimal], currency: str, amount: Decimal) -> dict[str, Decimal]:
    return {**totals, currency: totals.get(currency, Decimal(0)) + amount}


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _favourite(category_rounds: dict[str, int]) -> str | None:
    if not category_rounds:
        return None
    # Ties break alphabetically so the answer does not depend on dict order.
    return min(category_rounds, key=lambda c: (-category_rounds[c], c))


def apply_event(profile: Profile, event: EventDetail) -> Profile:
    """Return the profile after `event` (the input is not modified).

    Streaks follow event time: an event older than the latest one of its kind
    (a late arrival) still counts in totals but does not rewrite a streak, because
    the events that came after it in real life have already been applied.
    """
    changes: dict[str, Any] = {}
    match event:
        case PlayerRegistered():
            changes = {
                "registered_at": event.occurred_at,
                "locale": event.locale,
                "time_zone": event.time_zone,
                "country": event.country,
                "first_name": event.first_name,
                "email": event.email,
                "phone": event.phone,
                "birth_date": event.birth_date,
                "consents": event.consents,
            }
        case PlayerLoggedIn():
            changes = {
                "last_login_at": _latest(profile.last_login_at, event.occurred_at),
                "login_count": profile.login_count + 1,
            }
        case DepositSucceeded():
            is_latest = (
                profile.last_deposit_at is None or event.occurred_at >= profile.last_deposit_at
            )
            changes = {
                "deposit_count": profile.deposit_count + 1,
                "deposit_totals": _add(profile.deposit_totals, event.currency, event.amount),
                "last_deposit_at": _latest(profile.last_deposit_at, event.occurred_at),
                # A success ends a run of failures, unless it is older than the latest deposit.
                "failed_deposit_streak": 0 if is_latest else profile.failed_deposit_streak,
            }
        case DepositFailed():
            is_latest = (
                profile.last_deposit_at is None or event.occurred_at >= profile.last_deposit_at
            )
            changes = {
                "failed_deposit_count": profile.failed_deposit_count + 1,
                "failed_deposit_streak": profile.failed_deposit_streak + (1 if is_latest else 0),
                "last_deposit_at": _latest(profile.last_deposit_at, event.occurred_at),
            }
        case RoundFinished():
            category_rounds = {
                **profile.category_rounds,
                event.category: profile.category_rounds.get(event.category, 0) + 1,
            }
            changes = {
                "rounds_played": profile.rounds_played + 1,
                "wins": profile.wins + (event.outcome == "win"),
                "losses": profile.losses + (event.outcome == "loss"),
                "stake_totals": _add(profile.stake_totals, event.currency, event.stake),
                "category_rounds": category_rounds,
                "favourite_category": _favourite(category_rounds),
                "last_round_at": _latest(profile.last_round_at, event.occurred_at),
            }
            if profile.last_round_at is None or event.occurred_at >= profile.last_round_at:
                changes |= _streaks(profile, event.outcome)
        case ConsentChanged():
            changes = {
                "consents": profile.consents.model_copy(update={event.channel: event.granted})
            }
        case _:
            return profile
    return profile.model_copy(update=changes)


def _streaks(profile: Profile, outcome: str) -> dict[str, int]:
    if outcome == "win":
        return {"win_streak": profile.win_streak + 1, "loss_streak": 0}
    if outcome == "loss":
        return {"loss_streak": profile.loss_streak + 1, "win_streak": 0}
    # A push (stake returned) neither extends nor breaks a streak.
    return {}
