"""Small builders for the domain objects the adapters store (one obvious default each)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from events.models import Consents
from shared.adapters.player_store import Commit
from shared.domain.core.state import (
    CancelTimer,
    LedgerEntry,
    OutboxItem,
    PendingTimer,
    PlayerState,
    ScheduleTimer,
    SendMessage,
    schedule_name,
    stable_id,
)
from shared.domain.players.profile import Profile

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))
PLAYER = "player-1"


def rich_state(player_id: str = PLAYER) -> PlayerState:
    """A state that exercises exact money, non-UTC aware datetimes, timers and rule fires."""
    profile = Profile(
        player_id=player_id,
        registered_at=datetime(2025, 2, 28, 9, 30, tzinfo=KYIV),
        locale="uk",
        time_zone="Europe/Kyiv",
        country="UA",
        first_name="Olena",
        email="olena@example.com",
        consents=Consents(email=True),
        deposit_count=2,
        # More significant digits than a float holds, and a trailing zero to keep.
        deposit_totals={"EUR": Decimal("12345678901234.567891"), "UAH": Decimal("10.10")},
        last_deposit_at=datetime(2025, 3, 1, 11, 0, tzinfo=UTC),
        stake_totals={"EUR": Decimal("0.000001")},
    )
    return PlayerState(
        profile=profile,
        points_balance=120,
        timers={
            "no-deposit-3d": PendingTimer(
                rule_id="no-deposit-nudge",
                due_at=NOW + timedelta(days=3),
                generation=2,
                schedule_name=schedule_name(player_id, "no-deposit-3d"),
            )
        },
        rule_fires={"daily-login-points": [NOW - timedelta(hours=1)]},
        timer_seq=2,
    )


def ledger_entry(
    event_id: str = "evt-1",
    *,
    player_id: str = PLAYER,
    rule_id: str = "daily-login-points",
    points: int = 10,
    balance_after: int = 10,
    occurred_at: datetime = NOW,
) -> LedgerEntry:
    return LedgerEntry(
        entry_id=stable_id(event_id, rule_id, "0"),
        player_id=player_id,
        points=points,
        balance_after=balance_after,
        rule_id=rule_id,
        event_id=event_id,
        occurred_at=occurred_at,
        reason="daily login",
    )


def send_item(event_id: str = "evt-1", *, player_id: str = PLAYER) -> OutboxItem:
    return OutboxItem(
        outbox_id=stable_id(event_id, "welcome-email", "0"),
        player_id=player_id,
        event_id=event_id,
        rule_id="welcome-email",
        created_at=NOW,
        effect=SendMessage(
            template="welcome",
            channel="email",
            category="service",
            locale="uk",
            to="olena@example.com",
            vars={"first_name": "Olena", "points_balance": 120, "favourite_category": None},
        ),
    )


def schedule_effect(
    generation: int = 1,
    *,
    player_id: str = PLAYER,
    timer: str = "no-deposit-3d",
    fire_at: datetime = NOW + timedelta(days=3),
    due_at: datetime | None = None,
) -> ScheduleTimer:
    return ScheduleTimer(
        timer=timer,
        rule_id="no-deposit-nudge",
        schedule_name=schedule_name(player_id, timer),
        due_at=due_at or fire_at,
        fire_at=fire_at,
        generation=generation,
    )


def timer_item(event_id: str = "evt-1", *, player_id: str = PLAYER) -> OutboxItem:
    return OutboxItem(
        outbox_id=stable_id(event_id, "no-deposit-nudge", "0"),
        player_id=player_id,
        event_id=event_id,
        rule_id="no-deposit-nudge",
        created_at=NOW,
        effect=schedule_effect(player_id=player_id),
    )


def cancel_item(event_id: str = "evt-2", *, player_id: str = PLAYER) -> OutboxItem:
    return OutboxItem(
        outbox_id=stable_id(event_id, "deposit-cancels-nudge", "0"),
        player_id=player_id,
        event_id=event_id,
        rule_id="deposit-cancels-nudge",
        created_at=NOW,
        effect=CancelTimer(
            timer="no-deposit-3d",
            schedule_name=schedule_name(player_id, "no-deposit-3d"),
            generation=1,
        ),
    )


def commit(
    state: PlayerState | None = None,
    *,
    expected_version: int = 0,
    event_ids: Sequence[str] = ("evt-1",),
    ledger: Sequence[LedgerEntry] = (),
    outbox: Sequence[OutboxItem] = (),
    player_id: str = PLAYER,
) -> Commit:
    return Commit(
        player_id=player_id,
        state=state or PlayerState.new(player_id),
        expected_version=expected_version,
        event_ids=list(event_ids),
        ledger=list(ledger),
        outbox=list(outbox),
    )


def rule(rule_id: str = "daily-login-points", points: int = 10) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "description": "Points for logging in, at most once a day.",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": points, "reason": "daily login"}}],
        "limit": {"per_player": 1, "period": "P1D"},
    }


def template(template_id: str = "welcome", locale: str = "en") -> dict[str, Any]:
    return {
        "template_id": template_id,
        "channel": "email",
        "locale": locale,
        "category": "service",
        "subject": 'Welcome, {{ first_name | "friend" }}!',
        "text": 'Hi {{ first_name | "there" }}, your account is ready.',
    }
