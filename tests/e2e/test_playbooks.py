"""Each shipped playbook's story, played through the real handlers on moto with the virtual
clock. Every test loads only its own playbook (no starter config), so what it asserts is
what that playbook does on its own."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.core.config import build_config
from shared.domain.messaging.templates import parse_template
from shared.local.embedded import sent_emails
from shared.playbooks import (
    PLAYBOOK_NAMES,
    Playbook,
    PlaybookError,
    check_playbooks,
    get_playbook,
    list_playbooks,
    load_playbooks,
)

# --- helpers -------------------------------------------------------------------------------


def load(stack, *names):
    return load_playbooks(stack.runtime.config, names, actor="test", now=stack.clock.now())


def event(stack, detail_type, player, event_id, **detail):
    return {
        "source": "casino.example",
        "detail-type": detail_type,
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": stack.clock.now().isoformat(),
            **detail,
        },
    }


def play(stack, *envelopes):
    stack.runtime.put_events(envelopes)
    stack.runtime.pump()


def register(stack, player, locale="en", consents=True, **extra):
    return event(
        stack,
        "player.registered",
        player,
        f"reg-{player}",
        locale=locale,
        time_zone="Europe/Kyiv",
        country="UA",
        email=f"{player}@example.org",
        consents={"email": consents},
        **extra,
    )


def round_(stack, player, n, category="slots", stake="10", payout="0"):
    return event(
        stack,
        "game.round_finished",
        player,
        f"round-{player}-{n}",
        round_id=f"r-{player}-{n}",
        game_id=f"{category}-game",
        category=category,
        stake=stake,
        payout=payout,
        currency="EUR",
    )


def deposit(stack, player, n, amount="20", failed=False):
    return event(
        stack,
        "wallet.deposit_failed" if failed else "wallet.deposit_succeeded",
        player,
        f"{'fail' if failed else 'dep'}-{player}-{n}",
        deposit_id=f"d-{player}-{n}",
        amount=amount,
        currency="EUR",
    )


def sends(stack, player, status=None):
    """(template, channel) of each message decided for the player, oldest first."""
    items = sorted(
        (item.created_at, item.effect.template, item.effect.channel, s)
        for item, s, _ in stack.runtime.players.outbox(player)
        if item.effect.kind == "send"
    )
    return [(t, c) for _, t, c, s in items if status is None or s == status]


def delivered(stack, player):
    return sends(stack, player, status="done")


def emails_to(stack, player):
    return [m["subject"] for m in sent_emails(stack) if m["to"] == [f"{player}@example.org"]]


def points(stack, player):
    return [(e.points, e.reason) for e in stack.runtime.players.ledger(player)]


def fired(timers, name):
    return [t.at for t in timers if t.detail.get("timer") == name]


# --- 1. welcome -----------------------------------------------------------------------------


def test_welcome_day0_day1_tutorial_by_favourite_category_and_day3_incentive(stack):
    load(stack, "welcome")
    players = {"p-slots": "slots", "p-table": "table", "p-sports": "sports", "p-none": None}
    play(stack, *(register(stack, p, locale="uk" if p == "p-slots" else "en") for p in players))
    for player, category in players.items():
        if category:
            play(stack, *(round_(stack, player, n, category) for n in range(3)))
    assert all(delivered(stack, p) == [("welcome-day0", "email")] for p in players)

    stack.runtime.advance(timedelta(days=1, minutes=1))
    for player, category in players.items():
        tutorial = f"welcome-tutorial-{category or 'general'}"
        assert delivered(stack, player)[1:] == [(tutorial, "email")], player
    # Only the tutorial for the player's favourite category: the other three fired and stayed
    # silent, and the slots player got it in Ukrainian.
    assert emails_to(stack, "p-slots") == ["Вітаємо, друже!", "Слоти за п'ять хвилин"]

    stack.clock.set(stack.clock.now() + timedelta(days=1))
    play(stack, deposit(stack, "p-none", 1))  # day 2: the deposit cancels the incentive
    stack.runtime.advance(timedelta(days=1))
    for player in ("p-slots", "p-table", "p-sports"):
        assert delivered(stack, player)[-1] == ("welcome-deposit-incentive", "email"), player
    assert [t for t, _ in sends(stack, "p-none")] == ["welcome-day0", "welcome-tutorial-general"]
    assert "welcome-no-deposit-3d" not in stack.runtime.players.state("p-none").timers
    assert not [n for _, n, _ in stack.runtime.pending_schedules() if n.startswith("welcome-")]


# --- 2. failed deposits ---------------------------------------------------------------------


def test_failed_deposits_three_in_a_row_get_one_in_app_support_message_a_day(stack):
    load(stack, "failed-deposits")
    rt = stack.runtime
    # No marketing consent: a support message is a service message and still goes.
    play(stack, register(stack, "p-fail", consents=False))
    play(stack, deposit(stack, "p-fail", 1, failed=True), deposit(stack, "p-fail", 2, failed=True))
    stack.clock.set(stack.clock.now() + timedelta(minutes=5))
    play(stack, deposit(stack, "p-fail", 3))  # a success breaks the streak
    stack.clock.set(stack.clock.now() + timedelta(minutes=5))
    play(stack, deposit(stack, "p-fail", 4, failed=True), deposit(stack, "p-fail", 5, failed=True))
    assert sends(stack, "p-fail") == []  # 2 + 2, never 3 in a row

    stack.clock.set(stack.clock.now() + timedelta(minutes=5))
    play(stack, deposit(stack, "p-fail", 6, failed=True))
    assert delivered(stack, "p-fail") == [("failed-deposits-support", "inbox")]
    (message,) = [i.effect for i, _, _ in rt.players.outbox("p-fail") if i.effect.kind == "send"]
    assert message.category == "service"
    assert message.to is None  # in-app: no address
    stack.clock.set(stack.clock.now() + timedelta(hours=1))
    play(stack, deposit(stack, "p-fail", 7, failed=True))  # 4th in a row, same day: no repeat
    assert len(sends(stack, "p-fail")) == 1
    assert sent_emails(stack) == []  # never an email

    stack.clock.set(stack.clock.now() + timedelta(days=1))
    play(stack, deposit(stack, "p-fail", 8, failed=True))
    assert delivered(stack, "p-fail") == [("failed-deposits-support", "inbox")] * 2


# --- 3. loss streak -------------------------------------------------------------------------


def losses(stack, player, first, count):
    for n in range(first, first + count):
        stack.clock.set(stack.clock.now() + timedelta(minutes=1))
        play(stack, round_(stack, player, n))


def test_loss_streak_bonus_once_a_day_and_never_for_excluded_or_flagged_players(stack):
    load(stack, "loss-streak")
    rt = stack.runtime
    play(stack, *(register(stack, p) for p in ("p-loser", "p-excluded", "p-chaser")))
    play(stack, event(stack, "rg.self_excluded", "p-excluded", "se-1"))

    losses(stack, "p-loser", 0, 4)
    assert points(stack, "p-loser") == []
    losses(stack, "p-loser", 4, 1)
    assert points(stack, "p-loser") == [(50, "loss-streak bonus")]
    assert delivered(stack, "p-loser") == [("loss-streak-bonus", "inbox")]
    losses(stack, "p-loser", 5, 3)  # still losing, same day: once a day
    assert len(points(stack, "p-loser")) == 1

    losses(stack, "p-excluded", 0, 6)
    # Loss chasing: a deposit within 30 minutes of a third loss in a row raises an RG flag.
    losses(stack, "p-chaser", 0, 3)
    play(stack, deposit(stack, "p-chaser", 1))
    assert "loss_chasing" in rt.players.state("p-chaser").rg.flags
    losses(stack, "p-chaser", 3, 3)
    for player in ("p-excluded", "p-chaser"):
        assert rt.players.state(player).profile.loss_streak >= 5
        assert points(stack, player) == []
        assert sends(stack, player) == []
        assert any(
            a.category == "suppression" and a.rule_id == "loss-streak-bonus"
            for a in rt.players.audit(player)
        ), player


# --- 4. win-back slots ----------------------------------------------------------------------


def test_win_back_slots_after_7_quiet_days_opens_two_hours_of_double_points(stack):
    load(stack, "win-back-slots")
    rt = stack.runtime
    start = stack.clock.now()
    play(stack, *(register(stack, p) for p in ("p-cold", "p-back", "p-table")))
    play(stack, *(round_(stack, "p-cold", n) for n in range(3)))
    play(stack, round_(stack, "p-back", 0))
    play(stack, round_(stack, "p-table", 0, category="table"))
    stack.clock.set(start + timedelta(days=5))
    play(stack, round_(stack, "p-back", 1))  # played again within 7 days

    timers = rt.advance(timedelta(days=2, hours=1))  # day 7, 1 h
    # All three fire on day 7; p-back's finds the day-5 round and slides on to day 12 (a
    # sliding timer is armed once, not re-armed each day the player plays).
    assert len(fired(timers, "win-back-slots-7d")) == 3
    assert rt.players.state("p-back").timers["win-back-slots-7d"].due_at == start + timedelta(
        days=12
    )
    assert delivered(stack, "p-cold") == [
        ("win-back-slots-cold-seat", "email"),
        ("win-back-slots-cold-seat", "inbox"),
    ]
    assert emails_to(stack, "p-cold") == ["Your seat is getting cold: double points for 2 hours"]
    assert sends(stack, "p-back") == []
    assert sends(stack, "p-table") == []  # not a slots player: the timer fired, did nothing
    (offer,) = rt.players.state("p-cold").engagement.offers.values()
    assert offer.multiplier == 2

    # Back within the 2 hours: double points; after the window: single again.
    play(stack, round_(stack, "p-cold", 3))
    stack.clock.set(stack.clock.now() + timedelta(hours=2))
    play(stack, round_(stack, "p-cold", 4))
    assert [p for p, _ in points(stack, "p-cold")] == [10, 10, 10, 20, 10]
    assert [p for p, _ in points(stack, "p-table")] == [10]

    # p-back's seat goes cold 7 days after their last round instead (day 12).
    rt.advance(timedelta(days=5))
    assert delivered(stack, "p-back") == [
        ("win-back-slots-cold-seat", "email"),
        ("win-back-slots-cold-seat", "inbox"),
    ]


# --- 5. at risk -----------------------------------------------------------------------------


def test_at_risk_reactivation_sequence_then_lapsed_and_coming_back_stops_it(stack):
    load(stack, "at-risk")
    rt = stack.runtime
    start = stack.clock.now()
    play(stack, register(stack, "p-quiet"), register(stack, "p-returns"))

    rt.advance(timedelta(days=10, minutes=1))
    for player in ("p-quiet", "p-returns"):
        assert delivered(stack, player) == [("at-risk-we-miss-you", "email")]
    stack.clock.set(start + timedelta(days=11))
    play(stack, event(stack, "player.logged_in", "p-returns", "login-1"))
    assert rt.players.state("p-returns").engagement.stage == "reactivated"

    rt.advance(timedelta(days=3))  # day 14: the follow-up, for the one still at risk
    assert delivered(stack, "p-quiet")[-1] == ("at-risk-follow-up", "email")
    assert points(stack, "p-quiet") == [(100, "come-back bonus")]
    assert emails_to(stack, "p-quiet")[-1] == "100 points to welcome you back"

    rt.advance(timedelta(days=17))  # day 31
    assert [t for t, _ in delivered(stack, "p-quiet")] == [
        "at-risk-we-miss-you",
        "at-risk-follow-up",
        "at-risk-lapsed",
    ]
    # p-returns went quiet again (at risk on day 21) but the sequence runs once a month.
    assert rt.players.state("p-returns").engagement.stage == "at_risk"
    assert sends(stack, "p-returns") == [("at-risk-we-miss-you", "email")]
    assert points(stack, "p-returns") == []


# --- 6. VIP ---------------------------------------------------------------------------------


def test_vip_segment_entry_sends_celebration_email_and_inbox_once(stack):
    load(stack, "vip")
    rt = stack.runtime
    play(stack, register(stack, "p-whale", locale="ru"), register(stack, "p-casual"))
    play(stack, deposit(stack, "p-whale", 1, amount="300"))
    play(stack, deposit(stack, "p-casual", 1, amount="100"))
    assert rt.players.state("p-whale").segments.keys() == {"vip"}
    assert delivered(stack, "p-whale") == [
        ("vip-celebration", "email"),
        ("vip-celebration", "inbox"),
    ]
    assert emails_to(stack, "p-whale") == ["Добро пожаловать в VIP, друг"]
    assert sends(stack, "p-casual") == []

    stack.clock.set(stack.clock.now() + timedelta(days=1))
    play(stack, deposit(stack, "p-whale", 2, amount="500"))  # still VIP: no new entry
    play(stack, deposit(stack, "p-casual", 2, amount="200"))  # 300 in the window: enters
    assert len(sends(stack, "p-whale")) == 2
    assert delivered(stack, "p-casual") == [
        ("vip-celebration", "email"),
        ("vip-celebration", "inbox"),
    ]


# --- 7. milestones --------------------------------------------------------------------------


def test_milestones_tenth_purchase_gets_one_thank_you(stack):
    load(stack, "milestones")
    play(stack, register(stack, "p-shopper"))
    for n in range(1, 12):
        stack.clock.set(stack.clock.now() + timedelta(hours=1))
        purchase = event(
            stack,
            "shop.purchase",
            "p-shopper",
            f"order-{n}",
            order_id=f"o-{n}",
            amount="5",
            currency="EUR",
            items=1,
        )
        play(stack, purchase)
        expected = [("milestones-10th-purchase", "email")] if n >= 10 else []
        assert delivered(stack, "p-shopper") == expected, n


def test_milestones_birthday_at_nine_local_and_anniversary_repeat_yearly(stack):
    load(stack, "milestones")
    rt = stack.runtime
    play(
        stack,
        register(stack, "p-winter", birth_date="1990-12-01"),
        register(stack, "p-summer", birth_date="1991-06-15"),
        register(stack, "p-unknown"),
    )
    assert "milestones-birthday" not in rt.players.state("p-unknown").timers
    stack.clock.set(stack.clock.now() + timedelta(days=1))
    play(
        stack, event(stack, "player.profile_updated", "p-unknown", "upd-1", birth_date="1995-01-10")
    )

    timers = rt.advance(timedelta(days=366))
    # 09:00 in Kyiv: UTC+2 in winter, UTC+3 in summer.
    assert fired(timers, "milestones-birthday") == [
        datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
        datetime(2027, 1, 10, 7, 0, tzinfo=UTC),
        datetime(2027, 6, 15, 6, 0, tzinfo=UTC),
    ]
    # Registered 2026-11-24 11:00 Kyiv: the first anniversary is a year on, at 09:00 Kyiv.
    assert fired(timers, "milestones-anniversary") == [datetime(2027, 11, 24, 7, 0, tzinfo=UTC)] * 3
    for player in ("p-winter", "p-summer", "p-unknown"):
        assert [t for t, _ in delivered(stack, player)] == [
            "milestones-birthday",
            "milestones-anniversary",
        ], player
        assert points(stack, player) == [(100, "birthday gift")]
        # Both re-armed for next year.
        assert {"milestones-birthday", "milestones-anniversary"} <= set(
            rt.players.state(player).timers
        )
    assert rt.players.state("p-winter").timers["milestones-birthday"].due_at == datetime(
        2027, 12, 1, 7, 0, tzinfo=UTC
    )
    assert "Happy birthday, friend!" in emails_to(stack, "p-summer")


# --- all together ---------------------------------------------------------------------------


def test_every_playbook_validates_and_all_load_together_without_clashes(stack):
    playbooks = list_playbooks()
    assert [p.name for p in playbooks] == list(PLAYBOOK_NAMES)
    for playbook in playbooks:
        assert playbook.description, playbook.name
        assert playbook.rules, playbook.name
        ids = [r["rule_id"] for r in playbook.rules]
        ids += [t["template_id"] for t in playbook.templates]
        ids += [s["segment_id"] for s in playbook.segments]
        assert all(i.startswith(playbook.name) for i in ids), playbook.name
        # Player-facing emails come in en (the fallback), uk and ru.
        emails = {t["template_id"] for t in playbook.templates if t["channel"] == "email"}
        for template_id in emails:
            locales = {
                t["locale"]
                for t in playbook.templates
                if t["template_id"] == template_id and t["channel"] == "email"
            }
            assert {"en", "uk", "ru"} <= locales, template_id
        check_playbooks([playbook])
    check_playbooks(playbooks)

    version = load(stack)
    config = stack.runtime.config
    snapshot = build_config(
        version,
        config.raw_items("rule"),
        config.raw_items("template"),
        segment_items=config.raw_items("segment"),
    )
    assert snapshot.problems == ()
    assert len(snapshot.rules) == sum(len(p.rules) for p in playbooks)
    assert [s.segment_id for s in snapshot.segments] == ["vip"]
    # Loading again replaces the same items: nothing is duplicated.
    assert load(stack) == version + 1
    assert len(config.raw_items("rule")) == len(snapshot.rules)


def test_a_clashing_playbook_is_refused_before_anything_is_stored(stack):
    welcome = get_playbook("welcome")
    clash = Playbook(
        name="welcome-copy",
        description="",
        rules=(
            {
                "rule_id": "welcome-copy-nudge",
                "on": ["player.registered"],
                "then": [
                    {
                        "schedule": {
                            "timer": "welcome-no-deposit-3d",
                            "after": "P3D",
                            "then": [{"send": {"template": "welcome-day0", "channel": "email"}}],
                        }
                    }
                ],
            },
            {
                "rule_id": "welcome-copy-hello",
                "on": ["player.registered"],
                "then": [{"send": {"template": "nowhere", "channel": "email"}}],
            },
        ),
        templates=welcome.templates[:1],
        segments=(),
    )
    with pytest.raises(PlaybookError) as refused:
        check_playbooks([welcome, clash])
    reason = str(refused.value)
    assert "'welcome-day0', 'email', 'en'" in reason  # the template is defined twice
    assert "no email template 'nowhere'" in reason
    assert "timer 'welcome-no-deposit-3d' is armed by" in reason
    with pytest.raises(PlaybookError, match="unknown playbook"):
        load(stack, "welcome", "nope")
    assert stack.runtime.config.raw_items("rule") == []


# --- 8. shop --------------------------------------------------------------------------------

SHOP_BEANS = {"sku": "beans", "name": "Beans", "price": "24.90", "currency": "EUR"}


def cart_left(stack, player, cart_id):
    return event(
        stack,
        "shop.cart_abandoned",
        player,
        f"cart-{cart_id}",
        cart_id=cart_id,
        amount="49.80",
        currency="EUR",
        items=2,
        products=[{**SHOP_BEANS, "quantity": 2}],
    )


def test_shop_cart_reminder_after_two_hours_unless_paid_and_price_drops_for_viewers(stack):
    load(stack, "shop")
    play(stack, register(stack, "p-cart", locale="uk-UA"), register(stack, "p-paid"))
    stack.clock.set(stack.clock.now() + timedelta(minutes=5))
    play(
        stack,
        cart_left(stack, "p-cart", "c-1"),
        cart_left(stack, "p-paid", "c-2"),
        event(stack, "shop.product_viewed", "p-paid", "view-1", product=SHOP_BEANS),
    )
    stack.clock.set(stack.clock.now() + timedelta(minutes=30))
    play(
        stack,
        event(
            stack,
            "shop.purchase",
            "p-paid",
            "paid-c-2",
            order_id="o-2",
            amount="49.80",
            currency="EUR",
            items=2,
        ),
    )
    stack.runtime.advance(timedelta(hours=2))
    # The Ukrainian variant, read from the playbook rather than retyped here.
    uk = {t["template_id"]: t for t in get_playbook("shop").templates if t["locale"] == "uk"}
    reminder = uk["shop-cart-reminder"]
    subject = parse_template(reminder["subject"]).render({"cart": {"item_count": 2}})
    assert emails_to(stack, "p-cart") == [subject]
    total_label = reminder["text"].split("{{ end }}")[1].split("{{")[0]
    body = next(m["body"] for m in sent_emails(stack) if m["to"] == ["p-cart@example.org"])
    assert f"- 2 x Beans: 49,80\u00a0€\n{total_label}49,80\u00a0€" in body
    assert emails_to(stack, "p-paid") == []

    drop = {
        "source": "casino.example",
        "detail-type": "shop.price_dropped",
        "detail": {
            "event_id": "drop-beans",
            "occurred_at": stack.clock.now().isoformat(),
            "product": {**SHOP_BEANS, "price": "19.90"},
            "previous_price": "24.90",
        },
    }
    play(stack, drop)
    # p-paid viewed beans (and did not buy them: the order had no lines); p-cart carted them.
    assert emails_to(stack, "p-paid") == ["Beans is now €19.90"]
    drop_subject = parse_template(uk["shop-price-drop"]["subject"]).render(
        {"product": {"name": "Beans", "price": {"amount": "19.90", "currency": "EUR"}}},
        locale="uk-UA",
    )
    assert emails_to(stack, "p-cart")[-1] == drop_subject
