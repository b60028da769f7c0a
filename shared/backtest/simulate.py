"""A synthetic population for an operator with no history yet (documented in docs/backtest.md).

Deterministic for a seed. Each player registers during the first three days, with a time zone,
a locale, consents and (with push consent) a device, then follows one habit:

- daily    (30%): active on 85% of days;
- weekly   (45%): active on 20% of days, more often at weekends;
- drifting (25%): starts at 80% of days and fades by 4 points a day (a churn candidate).

`casino`: a session is a login, sometimes a deposit (30%; 12% of attempts fail), then 3-15
rounds in the player's mix: slots-first (60/25/15 slots/table/sports), table-first
(20/65/15) or sports-first (15/10/75), stakes of 0.5-5 by category; a round loses 55%,
pays back 20%, wins 2-10x the stake otherwise. Deposit amounts: 10 (30%), 20 (25%),
50 (22%), 100 (13%), 250 (7%), 500 (3%): roughly log-normal, as operators report.
`shop`: a visit is a login, then a purchase (25% of visits; 1-4 items, 15-300 in amount,
log-normal around 45) or an abandoned cart (20%).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from events.models import (
    Consents,
    DepositFailed,
    DepositSucceeded,
    DeviceRegistered,
    EventDetail,
    PlayerLoggedIn,
    PlayerRegistered,
    RoundFinished,
    ShopCartAbandoned,
    ShopPurchase,
)
from shared.backtest.history import History, PlayerHistory

Profile = Literal["casino", "shop"]
PROFILES: tuple[Profile, ...] = ("casino", "shop")
HABITS = (("daily", 0.30), ("weekly", 0.45), ("drifting", 0.25))
ZONES = (
    ("Europe/London", "en", "GB"),
    ("Europe/Kyiv", "uk", "UA"),
    ("Europe/Berlin", "de", "DE"),
    ("America/New_York", "en", "US"),
    ("Australia/Sydney", "en", "AU"),
)
MIXES = {
    "slots-first": (("slots", 0.60), ("table", 0.25), ("sports", 0.15)),
    "table-first": (("slots", 0.20), ("table", 0.65), ("sports", 0.15)),
    "sports-first": (("slots", 0.15), ("table", 0.10), ("sports", 0.75)),
}
MIX_SHARES = (("slots-first", 0.6), ("table-first", 0.2), ("sports-first", 0.2))
STAKES = {"slots": (0.5, 1, 2), "table": (1, 2, 5), "sports": (2, 5)}
DEPOSITS = ((10, 0.30), (20, 0.25), (50, 0.22), (100, 0.13), (250, 0.07), (500, 0.03))


def _pick(
    rng: random.Random, weighted: tuple[tuple[str, float], ...] | tuple[tuple[int, float], ...]
) -> object:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _active(habit: str, day: int, weekday: int, rng: random.Random) -> bool:
    if habit == "daily":
        return rng.random() < 0.85
    if habit == "weekly":
        return rng.random() < (0.35 if weekday >= 5 else 0.14)
    return rng.random() < max(0.03, 0.80 - 0.04 * day)


def player_events(
    index: int, start: datetime, days: int, profile: Profile, rng: random.Random
) -> list[EventDetail]:
    """One synthetic player's history (registration first, then their habit's sessions)."""
    player = f"sim-{index:06d}"
    joined = start + timedelta(hours=rng.uniform(0, 72))
    time_zone, locale, country = ZONES[rng.randrange(len(ZONES))]
    push = rng.random() < 0.5
    consents = Consents(email=rng.random() < 0.7, sms=rng.random() < 0.3, push=push)
    out: list[EventDetail] = [
        PlayerRegistered(
            player_id=player,
            event_id=f"{player}-reg",
            occurred_at=joined,
            locale=locale,
            time_zone=time_zone,
            country=country,
            first_name="Sam",
            email=f"{player}@example.invalid",
            phone="+447700900123" if consents.sms else None,
            consents=consents,
        )
    ]
    if push:
        out.append(
            DeviceRegistered(
                player_id=player,
                event_id=f"{player}-dev",
                occurred_at=joined + timedelta(minutes=1),
                device_token=f"token-{player}",
                platform="ios" if rng.random() < 0.5 else "android",
            )
        )
    habit = str(_pick(rng, HABITS))
    mix = MIXES[str(_pick(rng, MIX_SHARES))]
    session = _casino_session if profile == "casino" else _shop_session
    for day in range(days):
        at = joined + timedelta(days=day, hours=rng.uniform(0.5, 14))
        if at >= start + timedelta(days=days) or not _active(habit, day, at.weekday(), rng):
            continue
        out.append(PlayerLoggedIn(player_id=player, event_id=f"{player}-l{day}", occurred_at=at))
        out += session(player, day, at, mix, rng)
    return out


def _casino_session(
    player: str, day: int, at: datetime, mix: tuple[tuple[str, float], ...], rng: random.Random
) -> Iterator[EventDetail]:
    if rng.random() < 0.30:
        at += timedelta(minutes=2)
        amount = Decimal(int(str(_pick(rng, DEPOSITS))))
        failed = rng.random() < 0.12
        kind = DepositFailed if failed else DepositSucceeded
        yield kind(
            player_id=player,
            event_id=f"{player}-{'df' if failed else 'd'}{day}",
            occurred_at=at,
            deposit_id=f"{player}-d{day}",
            amount=amount,
            currency="EUR",
        )
    category = str(_pick(rng, mix))
    for k in range(rng.randint(3, 15)):
        stake = Decimal(str(rng.choice(STAKES[category])))
        roll = rng.random()
        multiple = 0 if roll < 0.55 else 1 if roll < 0.75 else rng.randint(2, 10)
        yield RoundFinished(
            player_id=player,
            event_id=f"{player}-r{day}-{k}",
            occurred_at=at + timedelta(minutes=5 + k),
            round_id=f"{player}-r{day}-{k}",
            game_id=f"{category}-{rng.randint(1, 20)}",
            category=category,
            stake=stake,
            payout=stake * multiple,
            currency="EUR",
        )


def _shop_session(
    player: str, day: int, at: datetime, mix: tuple[tuple[str, float], ...], rng: random.Random
) -> Iterator[EventDetail]:
    roll = rng.random()
    amount = Decimal(str(round(min(300.0, max(15.0, rng.lognormvariate(3.8, 0.6))), 2)))
    items = rng.randint(1, 4)
    if roll < 0.25:
        yield ShopPurchase(
            player_id=player,
            event_id=f"{player}-o{day}",
            occurred_at=at + timedelta(minutes=6),
            order_id=f"{player}-o{day}",
            amount=amount,
            currency="EUR",
            items=items,
        )
    elif roll < 0.45:
        yield ShopCartAbandoned(
            player_id=player,
            event_id=f"{player}-c{day}",
            occurred_at=at + timedelta(minutes=9),
            cart_id=f"{player}-c{day}",
            amount=amount,
            currency="EUR",
            items=items,
        )


def synthetic_history(
    players: int,
    days: int,
    profile: Profile,
    seed: int = 1,
    start: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> History:
    """`players` synthetic players living `days` days from `start` (UTC)."""
    if players < 1 or days < 1:
        raise ValueError("players and days must be at least 1")
    if profile not in PROFILES:
        raise ValueError(f"profile: {profile!r} is not one of {list(PROFILES)}")
    begin = start or datetime(2026, 10, 1, tzinfo=UTC)
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not crypto
    out: list[PlayerHistory] = []
    for i in range(players):
        events = player_events(i, begin, days, profile, rng)
        out.append(
            PlayerHistory(
                events[0].player_id, sorted(events, key=lambda e: (e.occurred_at, e.event_id))
            )
        )
        if progress is not None and (i + 1) % 1000 == 0:
            progress(i + 1, players)
    return History(players=out)
