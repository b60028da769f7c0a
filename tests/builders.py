"""Small builders for events, rules and configs used across tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import (
    ConsentChanged,
    Consents,
    DepositFailed,
    DepositSucceeded,
    PlayerLoggedIn,
    PlayerRegistered,
    RoundFinished,
    TimerFired,
)
from shared.domain.core.config import ConfigSnapshot, build_config

T0 = datetime.fromisoformat("2026-11-24T09:00:00+00:00")
PLAYER = "p-1"
_ids = itertools.count(1)


def eid(prefix: str = "e") -> str:
    return f"{prefix}-{next(_ids)}"


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def registered(
    when: datetime = T0,
    *,
    player: str = PLAYER,
    consent: bool = True,
    first_name: str | None = "Anna",
    email: str | None = "anna@example.org",
    **kw: Any,
) -> PlayerRegistered:
    return PlayerRegistered(
        player_id=player,
        event_id=kw.pop("event_id", eid("reg")),
        occurred_at=when,
        locale=kw.pop("locale", "en"),
        time_zone="Europe/Kyiv",
        country="UA",
        consents=Consents(email=consent),
        first_name=first_name,
        email=email,
        **kw,
    )


def logged_in(
    when: datetime, *, player: str = PLAYER, event_id: str | None = None
) -> PlayerLoggedIn:
    return PlayerLoggedIn(player_id=player, event_id=event_id or eid("login"), occurred_at=when)


def deposit(
    when: datetime,
    amount: str = "50",
    *,
    player: str = PLAYER,
    event_id: str | None = None,
    currency: str = "EUR",
) -> DepositSucceeded:
    return DepositSucceeded(
        player_id=player,
        event_id=event_id or eid("dep"),
        occurred_at=when,
        deposit_id=eid("d"),
        amount=Decimal(amount),
        currency=currency,
    )


def failed_deposit(when: datetime, *, player: str = PLAYER) -> DepositFailed:
    return DepositFailed(
        player_id=player,
        event_id=eid("fail"),
        occurred_at=when,
        deposit_id=eid("d"),
        amount=Decimal("10"),
        currency="EUR",
    )


def round_(
    when: datetime,
    stake: str = "1",
    payout: str = "0",
    *,
    category: str = "slots",
    game: str = "book",
    player: str = PLAYER,
    event_id: str | None = None,
) -> RoundFinished:
    return RoundFinished(
        player_id=player,
        event_id=event_id or eid("round"),
        occurred_at=when,
        round_id=eid("r"),
        game_id=game,
        category=category,
        stake=Decimal(stake),
        payout=Decimal(payout),
        currency="EUR",
    )


def consent(when: datetime, granted: bool, *, player: str = PLAYER) -> ConsentChanged:
    return ConsentChanged(
        player_id=player,
        event_id=eid("consent"),
        occurred_at=when,
        channel="email",
        granted=granted,
    )


def fired(
    when: datetime, timer: str, rule_id: str, generation: int, *, player: str = PLAYER
) -> TimerFired:
    return TimerFired(
        player_id=player,
        event_id=f"timer.{timer}.{generation}",
        occurred_at=when,
        timer=timer,
        rule_id=rule_id,
        generation=generation,
    )


def template(
    template_id: str,
    *,
    category: str = "marketing",
    locale: str = "en",
    subject: str = 'Hi {{ first_name | "there" }}',
) -> dict[str, Any]:
    return {
        "template_id": template_id,
        "channel": "email",
        "locale": locale,
        "category": category,
        "subject": subject,
        "text": 'Hello {{ first_name | "there" }}',
    }


def config(
    *rules: dict[str, Any],
    templates: list[dict[str, Any]] | None = None,
    version: int = 1,
    lifecycle: bool = False,
    game: dict[str, list[dict[str, Any]]] | None = None,
) -> ConfigSnapshot:
    """Rules under test; the built-in lifecycle is off unless asked for (it adds effects)."""
    default_templates = [template("hello"), template("welcome", category="service")]
    snapshot = build_config(
        version,
        list(rules),
        templates if templates is not None else default_templates,
        [{"policy_id": "engagement", "lifecycle": lifecycle}],
        game_items=game,
    )
    assert not snapshot.problems, snapshot.problems
    return snapshot


NUDGE_RULES = (
    {
        "rule_id": "nudge",
        "on": ["player.registered"],
        "then": [
            {
                "schedule": {
                    "timer": "no-deposit",
                    "after": "P3D",
                    "if": {"player": {"deposit_count": [0]}},
                    "then": [{"send": {"template": "hello"}}],
                }
            }
        ],
    },
    {
        "rule_id": "cancel-nudge",
        "priority": 10,
        "on": ["wallet.deposit_succeeded"],
        "then": [{"cancel_timer": {"timer": "no-deposit"}}],
    },
    {
        "rule_id": "points",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"rate": "1", "of": "amount"}}],
    },
)
