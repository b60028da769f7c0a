"""Consent per product x channel (UKGC SR 5.1.12): how the answers combine, how events set
them, how merges keep an opt-out, and the gate at decision time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from events.models import ConsentChanged, MessageBounced
from shared.domain.core.config import MessageTemplate
from shared.domain.core.merge_rules import profile as merge_profiles
from shared.domain.core.state import PlayerState, SendMessage
from shared.domain.players.consent import ConsentAnswer, merge_product_consents
from shared.domain.players.profile import Profile, apply_event
from shared.domain.run.decide import decide_all
from tests.builders import PLAYER, at, config, eid, logged_in, registered, template


def _consent(when, granted, *, product=None, channel="email", source=None):
    return ConsentChanged(
        player_id=PLAYER,
        event_id=eid("consent"),
        occurred_at=when,
        channel=channel,
        granted=granted,
        product=product,
        source=source,
    )


def _profile(*events) -> Profile:
    profile = Profile(player_id=PLAYER)
    for event in events:
        profile = apply_event(profile, event)
    return profile


def test_a_player_who_never_answered_per_product_keeps_the_channel_answer_for_every_product():
    # The migration: existing per-channel consent counts for every product, nothing rewritten.
    profile = _profile(registered(at(), consent=True))
    assert profile.consent_refusal("email", "casino") is None
    assert profile.consent_refusal("email", "betting") is None
    assert profile.consent_refusal("email", None) is None
    assert _profile(registered(at(), consent=False)).consent_refusal("email", "casino") == (
        "no email consent"
    )


def test_a_product_answer_decides_its_product_only_and_is_kept_with_time_and_source():
    profile = _profile(
        registered(at(), consent=True),
        _consent(at(hours=1), False, product="casino", source="preference_centre"),
    )
    assert profile.consent_refusal("email", "casino") == "no email consent for casino"
    assert profile.consent_refusal("email", "betting") is None
    assert profile.consent_refusal("email", None) is None
    assert profile.product_consents == {
        "casino": {
            "email": ConsentAnswer(granted=False, at=at(hours=1), source="preference_centre")
        }
    }


def test_a_registration_carries_products_and_a_source_and_a_product_opt_in_needs_no_channel_one():
    reg = registered(
        at(),
        consent=False,
        products={"bingo": {"email": True}, "casino": {"email": False}},
        consent_source="signup_form",
    )
    profile = _profile(reg)
    assert profile.consent_refusal("email", "bingo") is None
    assert profile.consent_refusal("email", "casino") == "no email consent for casino"
    # Without a product only the channel answer counts: here a no.
    assert profile.consent_refusal("email", None) == "no email consent"
    assert profile.consent_sources == {"email": "signup_form", "sms": "signup_form"} | {
        "push": "signup_form"
    }
    assert profile.product_consents["bingo"]["email"].source == "signup_form"


def test_a_later_channel_unsubscribe_stops_every_product_and_a_later_product_opt_in_reopens_one():
    profile = _profile(
        registered(at(), consent=True, products={"casino": {"email": True}}),
        _consent(at(hours=1), False, source="one_click_unsubscribe"),
    )
    assert profile.consent_refusal("email", "casino") == "no email consent"
    assert profile.consent_sources["email"] == "one_click_unsubscribe"
    profile = apply_event(profile, _consent(at(hours=2), True, product="casino"))
    assert profile.consent_refusal("email", "casino") is None
    assert profile.consent_refusal("email", "betting") == "no email consent"


def test_a_late_older_product_answer_cannot_undo_a_newer_one():
    newer = _consent(at(hours=5), True, product="casino")
    older = _consent(at(hours=1), False, product="casino")
    assert _profile(registered(at()), newer, older).consent_refusal("email", "casino") is None
    assert _profile(registered(at()), older, newer).consent_refusal("email", "casino") is None


def test_a_hard_bounce_outranks_an_earlier_product_opt_in():
    bounce = MessageBounced(
        player_id=PLAYER,
        event_id=eid("bounce"),
        occurred_at=at(hours=3),
        outbox_id="o-1",
        template="hello",
        bounce_type="permanent",
    )
    profile = _profile(
        registered(at(), consent=True),
        _consent(at(hours=2), True, product="casino"),
        bounce,
    )
    assert profile.consent_refusal("email", "casino") == "no email consent"
    assert profile.consent_sources["email"] == "hard_bounce"


def _bounce(when, kind="permanent"):
    return MessageBounced(
        player_id=PLAYER,
        event_id=eid("bounce"),
        occurred_at=when,
        outbox_id="o-1",
        template="hello",
        bounce_type=kind,
    )


def test_a_hard_bounce_outranks_a_product_opt_in_stamped_after_its_event_time():
    # The bounce is a fact about the address: a casino "yes" answered at 05:00 must not
    # keep mailing an address that bounced at 03:00 (the bounce's event arrived after it).
    opt_in = _consent(at(hours=5), True, product="casino")
    profile = _profile(registered(at(), consent=True), opt_in, _bounce(at(hours=3)))
    assert profile.consent_refusal("email", "casino") == "no email consent"
    assert "casino" not in profile.product_consents
    assert profile.consents_set_at["email"] == at(hours=5)


def test_a_bounce_keeps_other_channels_product_answers_and_a_later_opt_in_reopens_one():
    profile = _profile(
        registered(at(), consent=True, products={"casino": {"email": True, "sms": False}}),
        _bounce(at(hours=1)),
    )
    assert profile.product_consents == {
        "casino": {"sms": ConsentAnswer(granted=False, at=at(), source=None)}
    }
    assert profile.consent_refusal("sms", "casino") == "no sms consent for casino"
    profile = apply_event(profile, _consent(at(hours=2), True, product="casino"))
    assert profile.consent_refusal("email", "casino") is None
    assert profile.consent_refusal("email", "betting") == "no email consent"


def test_the_inbox_needs_no_consent_for_any_product():
    profile = _profile(registered(at(), consent=False, products={"casino": {"email": False}}))
    assert profile.consent_refusal("inbox", "casino") is None


def test_merging_two_players_keeps_an_opt_out_on_either_side_per_product_and_channel():
    yes = ConsentAnswer(granted=True, at=at(), source="signup_form")
    no = ConsentAnswer(granted=False, at=at(hours=1), source="preference_centre")
    merged = merge_product_consents(
        {"casino": {"email": yes}, "bingo": {"sms": yes}},
        {"casino": {"email": no.model_copy(update={"granted": True})}, "poker": {"push": no}},
    )
    assert merged["casino"]["email"].granted is True
    assert merged["casino"]["email"].at == at(hours=1)
    assert merged["bingo"]["sms"] == yes
    assert merged["poker"]["push"] == no
    assert merge_product_consents({"casino": {"email": yes}}, {"casino": {"email": no}}) == {
        "casino": {"email": no}
    }

    survivor = _profile(registered(at(), products={"casino": {"email": True}}))
    other = _profile(registered(at(), products={"casino": {"email": False}}))
    assert merge_profiles(survivor, other).consent_refusal("email", "casino") == (
        "no email consent for casino"
    )


def _casino_config():
    casino = {**template("casino-offer"), "product": "casino"}
    betting = {**template("betting-offer"), "product": "betting"}
    return config(
        {
            "rule_id": "offers",
            "on": ["player.logged_in"],
            "then": [
                {"send": {"template": "casino-offer"}},
                {"send": {"template": "betting-offer"}},
                {"send": {"template": "hello"}},
            ],
        },
        templates=[casino, betting, template("hello")],
    )


def test_a_template_of_a_product_needs_that_products_consent_and_says_so_when_refused():
    events = [
        registered(at(), consent=True, products={"casino": {"email": False}}),
        logged_in(at(hours=1)),
    ]
    d = decide_all(PlayerState.new(PLAYER), events, _casino_config(), at(hours=1))
    sent = [o.effect for o in d.outbox if isinstance(o.effect, SendMessage)]
    assert [(s.template, s.product) for s in sent] == [
        ("betting-offer", "betting"),
        ("hello", None),
    ]
    assert ("suppression", "send casino-offer by email: no email consent for casino") in [
        (a.category, a.reason) for a in d.audit
    ]


@pytest.mark.parametrize(
    ("product", "expected"),
    [("casino", None), ("bingo", "no email consent for bingo"), (None, None)],
)
def test_a_template_refuses_a_product_that_is_not_a_slug_and_keeps_a_valid_one(product, expected):
    profile = _profile(registered(at(), products={"bingo": {"email": False}}))
    assert profile.consent_refusal("email", product) == expected
    with pytest.raises(ValidationError, match="product"):
        MessageTemplate.model_validate({**template("x"), "product": "Live Casino"})


def test_dispatch_and_backtest_recheck_the_product_consent_at_send_time():
    from shared.backtest.replay import dispatch_send
    from shared.domain.core.state import OutboxItem

    cfg = _casino_config()
    profile = _profile(
        registered(at(), consent=True),
        _consent(at(hours=2), False, product="casino"),
    )
    state = PlayerState.new(PLAYER).model_copy(update={"profile": profile})
    effect = SendMessage(
        template="casino-offer",
        channel="email",
        category="marketing",
        product="casino",
        locale="en",
        to="anna@example.org",
        vars={},
    )
    item = OutboxItem(
        outbox_id="o-1",
        player_id=PLAYER,
        event_id="login-1",
        rule_id="offers",
        created_at=at(hours=1),
        effect=effect,
    )
    done = dispatch_send(item, effect, state, cfg, at(hours=2) + timedelta(seconds=1))
    assert (done.status, done.reason) == (
        "suppressed",
        "no email consent for casino (withdrawn before sending)",
    )
    other = effect.model_copy(update={"template": "betting-offer", "product": "betting"})
    assert dispatch_send(item, other, state, cfg, at(hours=3)).status == "done"


def test_the_lake_keeps_per_product_answers_and_sources_and_redacts_only_contacts():
    from shared.domain.outputs.lake import scrub

    detail = {
        "email": "anna@example.org",
        "consents": {"email": True},
        "products": {"casino": {"email": True, "sms": False}},
        "consent_source": "signup_form",
    }
    assert scrub(detail) == {**detail, "email": "redacted"}
