"""What marketers mean, through the real handlers on moto (issue 18): calendar limits in the
player's own time zone, offers that open when their message reaches the player, and a
leaderboard scored by the sum of stakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.adapters.leaderboard_store import LeaderboardStore
from shared.local.embedded import Embedded, sent_sms
from shared.services.config_cache import ConfigCache

Envelope = dict[str, Any]
KYIV = "Europe/Kyiv"  # UTC+2 in November and December (no DST change in these tests)
PHONE = "+380501234567"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def kyiv(text: str) -> datetime:
    """A Kyiv wall-clock time in winter (UTC+2), as a UTC datetime."""
    return utc(text) - timedelta(hours=2)


# --- helpers -------------------------------------------------------------------------------


def event(detail_type: str, player: str, event_id: str, at: datetime, **detail: Any) -> Envelope:
    return {
        "source": "casino.example",
        "detail-type": detail_type,
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": at.isoformat(),
            **detail,
        },
    }


def play(stack: Embedded, at: datetime, *envelopes: Envelope) -> None:
    """Put the events on the bus at `at` on the virtual clock and run the pipeline."""
    stack.clock.set(at)
    stack.runtime.put_events(envelopes)
    stack.runtime.pump()


def register(stack: Embedded, player: str, **extra: Any) -> None:
    extra.setdefault("consents", {"email": True})
    play(
        stack,
        stack.clock.now(),
        event(
            "player.registered",
            player,
            f"reg-{player}",
            stack.clock.now(),
            locale="en",
            time_zone=KYIV,
            country="UA",
            email=f"{player}@example.org",
            **extra,
        ),
    )


def login(stack: Embedded, player: str, at: datetime) -> None:
    play(stack, at, event("player.logged_in", player, f"login-{player}-{at.isoformat()}", at))


def publish(stack: Embedded, *rules: Envelope, templates: tuple[Envelope, ...] = ()) -> None:
    config, now = stack.runtime.config, stack.clock.now()
    for template in templates:
        config.put_template(template, actor="test", now=now)
    for rule in rules:
        config.put_rule(rule, actor="test", now=now)
    config.publish()


def login_points(limit: dict[str, Any]) -> Envelope:
    return {
        "rule_id": "login-bonus",
        "on": ["player.logged_in"],
        "then": [{"award_points": {"points": 10}}],
        "limit": limit,
    }


def earned(stack: Embedded, player: str, rule_id: str = "login-bonus") -> list[datetime]:
    """When each of the rule's awards was earned (the event time of the login), oldest first."""
    return sorted(
        e.occurred_at for e in stack.runtime.players.ledger(player) if e.rule_id == rule_id
    )


def earns(stack: Embedded, player: str, at: datetime) -> bool:
    """Log in at `at`; whether that login earned the bonus."""
    login(stack, player, at)
    return at in earned(stack, player)


# --- a. calendar limits in the player's own time zone ----------------------------------------


def test_once_per_day_is_once_per_local_calendar_day_21h_and_08h_both_earn(stack):
    publish(stack, login_points({"per_player": 1, "per": "day"}))
    register(stack, "p-day")

    # 21:00 and 08:00 the next morning in Kyiv: two local days, both earn.
    assert earns(stack, "p-day", kyiv("2026-11-24T21:00"))
    assert earns(stack, "p-day", kyiv("2026-11-25T08:00"))
    # 01:00 in Kyiv is still 23:00 of the 25th in UTC: a new local day, so it earns ...
    assert earns(stack, "p-day", kyiv("2026-11-26T01:00"))
    # ... and 10:00 the same local day does not, though it is a new UTC day.
    assert not earns(stack, "p-day", kyiv("2026-11-26T10:00"))
    assert not earns(stack, "p-day", kyiv("2026-11-26T23:59"))
    assert len(earned(stack, "p-day")) == 3


def test_once_per_week_starts_again_on_the_players_local_monday(stack):
    publish(stack, login_points({"per_player": 1, "per": "week"}))
    register(stack, "p-week")

    assert earns(stack, "p-week", kyiv("2026-11-25T12:00"))  # Wednesday
    # Sunday 23:30 in Kyiv: the same local week, no second award.
    assert not earns(stack, "p-week", kyiv("2026-11-29T23:30"))
    # Monday 00:30 in Kyiv (still Sunday 22:30 in UTC): a new local week, it earns.
    assert earns(stack, "p-week", kyiv("2026-11-30T00:30"))
    assert not earns(stack, "p-week", kyiv("2026-12-06T23:00"))  # that week's Sunday
    assert len(earned(stack, "p-week")) == 2


def test_once_per_month_starts_again_on_the_first_local_day_of_the_month(stack):
    publish(stack, login_points({"per_player": 1, "per": "month"}))
    register(stack, "p-month")

    assert earns(stack, "p-month", kyiv("2026-11-25T12:00"))
    # 30 November, 23:30 in Kyiv: still November, no second award.
    assert not earns(stack, "p-month", kyiv("2026-11-30T23:30"))
    # 1 December, 00:30 in Kyiv (30 November, 22:30 UTC): a new local month, it earns.
    assert earns(stack, "p-month", kyiv("2026-12-01T00:30"))
    assert not earns(stack, "p-month", kyiv("2026-12-31T23:00"))
    assert len(earned(stack, "p-month")) == 2


def test_a_rolling_period_earns_once_for_21h_and_08h_the_next_morning(stack):
    publish(stack, login_points({"per_player": 1, "period": "P1D"}))
    register(stack, "p-rolling")

    assert earns(stack, "p-rolling", kyiv("2026-11-24T21:00"))
    # Eleven hours later: inside the rolling 24 h, although it is a new local day.
    assert not earns(stack, "p-rolling", kyiv("2026-11-25T08:00"))
    # 24 h after the award it earns again.
    assert earns(stack, "p-rolling", kyiv("2026-11-25T21:00"))
    assert len(earned(stack, "p-rolling")) == 2


# --- b. an offer opens when its message reaches the player ---------------------------------

SMS_TEMPLATE = {
    "template_id": "come-back",
    "channel": "sms",
    "locale": "en",
    "category": "marketing",
    "subject": "Come back (unused by SMS)",
    "text": "Double points for 2 hours!",
}
COME_BACK = {
    "rule_id": "come-back",
    "on": ["player.logged_in"],
    "then": [
        {"send": {"template": "come-back", "channel": "sms"}},
        {"open_offer": {"offer": "double", "multiplier": "2", "for": "PT2H"}},
    ],
}
ROUND_POINTS = {
    "rule_id": "round-points",
    "on": ["game.round_finished"],
    "then": [{"award_points": {"points": 10}}],
}


def round_(player: str, n: int, at: datetime) -> Envelope:
    return event(
        "game.round_finished",
        player,
        f"round-{player}-{n}",
        at,
        round_id=f"r-{player}-{n}",
        game_id="book",
        category="slots",
        stake="1",
        payout="0",
        currency="EUR",
    )


def test_an_sms_held_by_quiet_hours_opens_its_offer_when_it_is_delivered_not_when_it_fired(
    stack,
):
    publish(stack, COME_BACK, ROUND_POINTS, templates=(SMS_TEMPLATE,))
    stack.clock.set(kyiv("2026-11-24T22:00"))
    register(stack, "p-night", phone=PHONE, consents={"email": True, "sms": True})
    night, morning = kyiv("2026-11-24T23:30"), kyiv("2026-11-25T09:00")

    login(stack, "p-night", night)  # inside quiet hours (21:00-09:00 local) for SMS

    # The SMS is held, with a schedule for the end of the quiet hours.
    assert sent_sms(stack) == []
    assert any(a.category == "deferral" for a in stack.runtime.players.audit("p-night"))
    assert morning in [at for at, _, _ in stack.runtime.pending_schedules()]
    play(stack, night + timedelta(minutes=15), round_("p-night", 1, night + timedelta(minutes=15)))

    stack.runtime.advance(morning + timedelta(minutes=1) - stack.clock.now())

    # The deferred SMS went out at 09:00 local through the real dispatch handler ...
    assert sent_sms(stack) == [{"to": PHONE, "text": "Double points for 2 hours!"}]
    ((_item, status, result),) = [
        o for o in stack.runtime.players.outbox("p-night") if o[0].effect.kind == "send"
    ]
    assert status == "done", result
    # ... and the player state gives the two hours from then: 09:00-11:00 local.
    offer = stack.runtime.players.state("p-night").engagement.offers["double"]
    assert (offer.opened_at, offer.until) == (morning, morning + timedelta(hours=2))

    # Points: single before delivery, double inside 09:00-11:00, single again after it.
    play(stack, kyiv("2026-11-25T09:30"), round_("p-night", 2, kyiv("2026-11-25T09:30")))
    play(stack, kyiv("2026-11-25T11:30"), round_("p-night", 3, kyiv("2026-11-25T11:30")))
    assert [
        e.points for e in stack.runtime.players.ledger("p-night") if e.rule_id == "round-points"
    ] == [10, 20, 10]


# --- c. a leaderboard scored by the sum of stakes --------------------------------------------

STAKES = {
    "board_id": "daily-stakes",
    "name": "Daily high rollers",
    "on": ["game.round_finished"],
    "score": {"kind": "sum", "of": "stake"},
    "window": {"every": "day", "time_zone": "UTC"},
    "shards": 4,
}


def test_a_board_scored_by_the_sum_of_stake_ranks_players_by_what_they_staked(stack):
    from tests.player_api.conftest import call, serving_player_api

    rt, now = stack.runtime, stack.clock.now()
    rt.config.put_game("leaderboard", STAKES, actor="test", now=now)
    rt.config.publish()
    snapshot = ConfigCache(rt.config).current()
    assert not snapshot.problems
    assert snapshot.game.leaderboards["daily-stakes"].score.of == "stake"

    # (stake, payout): p-lucky wins most and has the best multiplier, p-roller stakes most.
    rounds = {
        "p-roller": [("20", "0"), ("15.5", "10")],
        "p-steady": [("5", "5"), ("7", "7"), ("8", "0")],
        "p-lucky": [("1", "500"), ("2", "300")],
    }
    rt.put_events(
        [
            event(
                "game.round_finished",
                player,
                f"round-{player}-{n}",
                now + timedelta(minutes=n),
                round_id=f"r-{player}-{n}",
                game_id="book",
                category="slots",
                stake=stake,
                payout=payout,
                currency="EUR",
            )
            for player, played in rounds.items()
            for n, (stake, payout) in enumerate(played)
        ]
    )
    rt.pump()

    boards = LeaderboardStore(rt.resources.player_table, rt.clients.client("dynamodb"))
    top = boards.top("daily-stakes", "2026-11-24", 4, 10)
    assert [(p.rank, p.entry.player_id, p.entry.score) for p in top] == [
        (1, "p-roller", Decimal("35.5")),
        (2, "p-steady", 20),
        (3, "p-lucky", 3),
    ]

    with serving_player_api(stack):
        body = call("GET", "/v1/leaderboards/daily-stakes").json
        mine = call("GET", "/v1/players/p-lucky/leaderboards/daily-stakes").json
    assert [(e["rank"], e["player_id"], Decimal(str(e["score"]))) for e in body["entries"]] == [
        (1, "p-roller", Decimal("35.5")),
        (2, "p-steady", 20),
        (3, "p-lucky", 3),
    ]
    assert (mine["on_board"], mine["rank"]) == (True, 3)
