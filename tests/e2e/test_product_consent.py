"""Consent per product x channel through the real handlers on moto: the registration's
per-product answers, a later per-product change, and dispatch's send-time re-check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.local.embedded import sent_emails

TEMPLATES = [
    {
        "template_id": product + "-offer",
        "channel": "email",
        "locale": "en",
        "category": "marketing",
        "product": product,
        "subject": f"Your {product} offer",
        "text": f"A {product} offer for you.",
    }
    for product in ("casino", "betting", "bingo")
]
RULES = [
    {
        "rule_id": "offers-on-login",
        "on": ["player.logged_in"],
        "then": [{"send": {"template": t["template_id"]}} for t in TEMPLATES],
    }
]


@pytest.fixture
def offers(stack):
    now = stack.clock.now()
    for template in TEMPLATES:
        stack.runtime.config.put_template(template, actor="test", now=now)
    for rule in RULES:
        stack.runtime.config.put_rule(rule, actor="test", now=now)
    # Three offers at one login: room under the daily email cap (2 by default).
    stack.runtime.config.put_policy(
        {"policy_id": "delivery", "per_channel_per_day": {"email": 5}}, actor="test", now=now
    )
    stack.runtime.config.publish()
    return stack


def _event(stack, detail_type, player, event_id, at=None, **detail):
    return {
        "source": "casino.example",
        "detail-type": detail_type,
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": (at or stack.clock.now()).isoformat(),
            **detail,
        },
    }


def _play(stack, *envelopes):
    stack.runtime.put_events(list(envelopes))
    stack.runtime.pump()


def _subjects(stack, player):
    return sorted(m["subject"] for m in sent_emails(stack) if m["to"] == [f"{player}@example.org"])


def _register(stack, player, **consent):
    _play(
        stack,
        _event(
            stack,
            "player.registered",
            player,
            f"reg-{player}",
            locale="en",
            time_zone="Europe/London",
            country="GB",
            email=f"{player}@example.org",
            **consent,
        ),
    )


def test_per_product_answers_from_registration_and_a_later_change_decide_which_offers_go(offers):
    # An existing-style player (channel consent only) gets every product's offer.
    _register(offers, "p-old", consents={"email": True})
    # A new-style registration answers per product, from the signup form.
    _register(
        offers,
        "p-new",
        consents={"email": True},
        products={"casino": {"email": True}, "betting": {"email": False}},
        consent_source="signup_form",
    )
    # Later the new player turns casino email off in the preference centre.
    _play(
        offers,
        _event(
            offers,
            "player.consent_changed",
            "p-new",
            "consent-casino-off",
            channel="email",
            granted=False,
            product="casino",
            source="preference_centre",
        ),
    )
    offers.clock.advance(timedelta(minutes=1))
    _play(
        offers,
        _event(offers, "player.logged_in", "p-old", "login-old"),
        _event(offers, "player.logged_in", "p-new", "login-new"),
    )

    assert _subjects(offers, "p-old") == [
        "Your betting offer",
        "Your bingo offer",
        "Your casino offer",
    ]
    # bingo was never answered per product: the channel answer covers it.
    assert _subjects(offers, "p-new") == ["Your bingo offer"]
    reasons = [a.reason for a in offers.runtime.players.audit("p-new")]
    assert "send casino-offer by email: no email consent for casino" in reasons
    assert "send betting-offer by email: no email consent for betting" in reasons
    profile = offers.runtime.players.state("p-new").profile
    casino = profile.product_consents["casino"]["email"]
    assert (casino.granted, casino.source) == (False, "preference_centre")
    assert profile.consent_sources["email"] == "signup_form"


def test_a_product_opt_out_applied_before_the_send_stops_it_at_dispatch(offers):
    _register(offers, "p-race", consents={"email": True})
    login_at = offers.clock.now()
    # Decided at login; the casino opt-out one second later lands in the same engine batch,
    # so the casino email is still in the outbox when the answer changes.
    _play(
        offers,
        _event(offers, "player.logged_in", "p-race", "login-race"),
        _event(
            offers,
            "player.consent_changed",
            "p-race",
            "consent-race",
            at=login_at + timedelta(seconds=1),
            channel="email",
            granted=False,
            product="casino",
        ),
    )

    assert _subjects(offers, "p-race") == ["Your betting offer", "Your bingo offer"]
    reasons = [a.reason or "" for a in offers.runtime.players.audit("p-race")]
    assert any("no email consent for casino (withdrawn before sending)" in r for r in reasons), (
        reasons
    )
