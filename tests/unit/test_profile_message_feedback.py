"""Profile folding of delivery feedback: opens, bounces, complaints and email consent."""

from __future__ import annotations

from events.models import MessageBounced, MessageComplained, MessageOpened
from shared.domain.players.profile import Profile, apply_event
from tests.builders import PLAYER, at, registered


def fold(*events):
    profile = Profile(player_id=PLAYER)
    for e in events:
        profile = apply_event(profile, e)
    return profile


def feedback(model, when, n=1, **extra):
    return model(
        player_id=PLAYER,
        event_id=f"ses:m-{n}:{model.detail_type}",
        occurred_at=when,
        outbox_id=f"o-{n}",
        template=extra.pop("template", "promo"),
        **extra,
    )


def test_given_a_hard_bounce_then_email_consent_is_off_and_the_bounce_counted():
    p = fold(registered(at()), feedback(MessageBounced, at(hours=1), bounce_type="permanent"))

    assert p.consents.email is False
    assert p.email_bounces == 1


def test_given_a_soft_bounce_then_email_consent_stays_on():
    p = fold(registered(at()), feedback(MessageBounced, at(hours=1), bounce_type="transient"))

    assert p.consents.email is True
    assert p.email_bounces == 1


def test_given_a_complaint_then_email_consent_is_off():
    p = fold(registered(at()), feedback(MessageComplained, at(hours=1)))

    assert p.consents.email is False


def test_given_a_complaint_then_other_channels_keep_their_consent():
    before = fold(registered(at()))
    after = apply_event(before, feedback(MessageComplained, at(hours=1)))

    assert (after.consents.sms, after.consents.push) == (before.consents.sms, before.consents.push)


def test_given_opens_then_the_latest_per_template_is_kept_even_if_one_arrives_late():
    p = fold(
        registered(at()),
        feedback(MessageOpened, at(hours=3), n=1, template="promo"),
        feedback(MessageOpened, at(hours=1), n=2, template="promo"),  # late arrival
        feedback(MessageOpened, at(hours=2), n=3, template="welcome"),
    )

    assert p.messages_opened == {"promo": at(hours=3), "welcome": at(hours=2)}
    assert p.last_message_opened_at == at(hours=3)


def test_given_an_open_then_it_is_not_player_activity():
    # Opens include mail-privacy proxies fetching pixels: not proof the player came back.
    p = fold(registered(at()), feedback(MessageOpened, at(days=5)))

    assert p.last_activity_at == at()
