"""Email feedback loop and one-click unsubscribe, through the real handlers on moto.

The unsubscribe route is served on loopback by the real unsubscribe Lambda handler; SES
feedback (which moto never produces) is played by the runtime through the real feedback
handler, shaped as SES publishes it to EventBridge.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from shared.local.embedded import sent_emails

LINK = re.compile(r"http://127\.0\.0\.1:\d+/unsubscribe\?t=[A-Za-z0-9_.-]+")
ONE_CLICK = b"List-Unsubscribe=One-Click"

TEMPLATES = [
    {
        "template_id": "promo",
        "channel": "email",
        "locale": "en",
        "category": "marketing",
        "subject": "A treat for you",
        "text": "Ten free spins are waiting.",
        "html": "<html><body><p>Ten free spins are waiting.</p></body></html>",
    },
    {
        "template_id": "promo",
        "channel": "email",
        "locale": "uk",
        "category": "marketing",
        "subject": "Подарунок для вас",
        "text": "На вас чекають десять безкоштовних обертань.",  # noqa: RUF001 - Cyrillic on purpose
    },
    {
        "template_id": "reload",
        "channel": "email",
        "locale": "en",
        "category": "marketing",
        "subject": "Reload bonus",
        "text": "Your reload bonus is ready.",
    },
]
RULES = [
    {
        "rule_id": "promo-on-login",
        "on": ["player.logged_in"],
        "then": [{"send": {"template": "promo", "channel": "email"}}],
    },
    {
        "rule_id": "reload-on-deposit",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"send": {"template": "reload", "channel": "email"}}],
    },
]


@pytest.fixture
def mail(stack):
    """The stack with the promo config published and the unsubscribe route served."""
    now = stack.clock.now()
    for template in TEMPLATES:
        stack.runtime.config.put_template(template, actor="test", now=now)
    for rule in RULES:
        stack.runtime.config.put_rule(rule, actor="test", now=now)
    stack.runtime.config.publish()
    server = stack.runtime.serve_unsubscribe()
    yield stack
    server.stop()


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


def register(stack, player, locale="en"):
    play(
        stack,
        event(
            stack,
            "player.registered",
            player,
            f"reg-{player}",
            locale=locale,
            time_zone="Europe/Kyiv",
            country="UA",
            email=f"{player}@example.org",
            consents={"email": True},
        ),
    )


def login(stack, player, n=1):
    play(stack, event(stack, "player.logged_in", player, f"login-{player}-{n}"))


def deposit(stack, player, n=1):
    play(
        stack,
        event(
            stack,
            "wallet.deposit_succeeded",
            player,
            f"dep-{player}-{n}",
            deposit_id=f"d-{n}",
            amount="20",
            currency="EUR",
        ),
    )


def emails_to(stack, player):
    return [m for m in sent_emails(stack) if m["to"] == [f"{player}@example.org"]]


def link_in(body):
    found = LINK.findall(body)
    assert found, body
    return found[0]


def http(url, data=None):
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def consent(stack, player):
    return stack.runtime.players.state(player).profile.consents.email


def sent_outbox_id(stack, player, template):
    return next(
        item.outbox_id
        for item, status, _ in stack.runtime.players.outbox(player)
        if getattr(item.effect, "template", None) == template and status == "done"
    )


# --- unsubscribe ---------------------------------------------------------------------------


def test_given_a_marketing_email_when_posting_its_link_then_consent_is_off_and_the_next_is_suppressed(
    mail,
):
    # Given a consenting player who got a marketing email
    register(mail, "p-olena")
    login(mail, "p-olena")
    (email,) = emails_to(mail, "p-olena")
    url = link_in(email["body"])

    # When the link is opened (GET): a confirmation page, nothing changes yet
    status, headers, page = http(url)
    assert status == 200
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert 'method="post"' in page
    assert "p-olena" not in page
    assert "example.org" not in page
    mail.runtime.pump()
    assert consent(mail, "p-olena") is True

    # When the mail client's one-click POST arrives
    status, _, page = http(url, data=ONE_CLICK)
    mail.runtime.pump()

    # Then consent is off ...
    assert status == 200
    assert consent(mail, "p-olena") is False
    # ... and the next marketing email is suppressed, with the reason in the audit trail
    deposit(mail, "p-olena")
    assert len(emails_to(mail, "p-olena")) == 1
    reasons = [a.reason for a in mail.runtime.players.audit("p-olena")]
    assert any("reload" in r and "consent" in r for r in reasons), reasons


def test_given_the_same_link_posted_twice_then_it_is_one_consent_change(mail):
    register(mail, "p-twice")
    login(mail, "p-twice")
    url = link_in(emails_to(mail, "p-twice")[0]["body"])

    assert http(url, data=ONE_CLICK)[0] == 200
    assert http(url, data=ONE_CLICK)[0] == 200
    mail.runtime.pump()

    assert consent(mail, "p-twice") is False
    assert mail.runtime.dead_letters() == []


def test_given_a_ukrainian_player_then_the_footer_is_in_ukrainian(mail):
    register(mail, "p-uk", locale="uk-UA")
    login(mail, "p-uk")

    (email,) = emails_to(mail, "p-uk")
    assert "Відписатися: http://127.0.0.1" in email["body"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda url: url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"),  # bad signature
        lambda url: url.split("?")[0] + "?t=not-a-token",  # malformed
        lambda url: url.split("?")[0],  # no token at all
    ],
    ids=["tampered", "malformed", "missing"],
)
def test_given_a_forged_token_when_posting_then_400_and_nothing_changes(mail, forge):
    register(mail, "p-forge")
    login(mail, "p-forge")
    url = link_in(emails_to(mail, "p-forge")[0]["body"])

    status, _, page = http(forge(url), data=ONE_CLICK)
    mail.runtime.pump()

    assert status == 400
    assert 'method="post"' not in page
    assert consent(mail, "p-forge") is True


def test_given_an_expired_link_when_posting_then_410_and_nothing_changes(mail):
    register(mail, "p-late")
    login(mail, "p-late")
    url = link_in(emails_to(mail, "p-late")[0]["body"])

    mail.runtime.advance(timedelta(days=61))
    status, _, _ = http(url, data=ONE_CLICK)
    mail.runtime.pump()

    assert status == 410
    assert consent(mail, "p-late") is True


def test_given_a_post_without_one_click_body_then_400_and_nothing_changes(mail):
    register(mail, "p-noclick")
    login(mail, "p-noclick")
    url = link_in(emails_to(mail, "p-noclick")[0]["body"])

    status, _, _ = http(url, data=b"something=else")
    mail.runtime.pump()

    assert status == 400
    assert consent(mail, "p-noclick") is True


# --- SES feedback --------------------------------------------------------------------------


def test_given_a_hard_bounce_then_email_consent_is_off_and_marketing_stops(mail):
    register(mail, "p-bounce")
    login(mail, "p-bounce")
    outbox_id = sent_outbox_id(mail, "p-bounce", "promo")

    outcome = mail.runtime.ses_feedback("bounce", "p-bounce", outbox_id)

    assert outcome["published"] == "engage.message.bounced"
    profile = mail.runtime.players.state("p-bounce").profile
    assert profile.consents.email is False
    assert profile.email_bounces == 1
    deposit(mail, "p-bounce")
    assert len(emails_to(mail, "p-bounce")) == 1


def test_given_a_complaint_then_email_consent_is_off(mail):
    register(mail, "p-spam")
    login(mail, "p-spam")

    mail.runtime.ses_feedback("complaint", "p-spam", sent_outbox_id(mail, "p-spam", "promo"))

    assert consent(mail, "p-spam") is False


def test_given_a_soft_bounce_delivered_twice_then_consent_stays_and_it_counts_once(mail):
    register(mail, "p-soft")
    login(mail, "p-soft")
    outbox_id = sent_outbox_id(mail, "p-soft", "promo")

    mail.runtime.ses_feedback("soft-bounce", "p-soft", outbox_id)
    mail.runtime.ses_feedback("soft-bounce", "p-soft", outbox_id)  # SES redelivers

    profile = mail.runtime.players.state("p-soft").profile
    assert profile.consents.email is True
    assert profile.email_bounces == 1


def test_given_an_open_then_the_profile_knows_which_template_was_opened(mail):
    register(mail, "p-open")
    login(mail, "p-open")

    mail.runtime.ses_feedback("open", "p-open", sent_outbox_id(mail, "p-open", "promo"))

    profile = mail.runtime.players.state("p-open").profile
    assert profile.messages_opened == {"promo": mail.clock.now()}
    assert profile.last_message_opened_at == mail.clock.now()


def test_given_ses_events_without_our_tags_then_they_are_skipped_and_counted(mail):
    from functions.feedback.handler import handler
    from shared import wiring
    from shared.local.runtime import play_ses_feedback
    from shared.local.ses_feedback import ses_event

    foreign = ses_event(
        "bounce",
        message_id="m-1",
        player_id="p-x",
        outbox_id="o-1",
        template="t",
        at=mail.clock.now(),
    )
    foreign["detail"]["mail"]["tags"] = {"ses:configuration-set": ["other-app"]}

    outcome = play_ses_feedback(handler, foreign)
    mail.runtime.pump()

    assert outcome == {"published": None, "skipped": outcome["skipped"]}
    assert wiring.feedback().skipped[outcome["skipped"]] == 1
    assert mail.runtime.players.state("p-x") is None


def test_given_an_unsubscribe_applied_before_the_send_then_dispatch_suppresses_it(mail):
    # Given a marketing email decided at 09:00 and an unsubscribe at 09:00:01, applied in the
    # same engine batch, so the email is still waiting in the outbox when consent goes off
    register(mail, "p-race")
    login_at = mail.clock.now()
    play(
        mail,
        event(mail, "player.logged_in", "p-race", "login-race"),
        {
            "source": "casino.example",
            "detail-type": "player.consent_changed",
            "detail": {
                "player_id": "p-race",
                "event_id": "consent-race",
                "occurred_at": (login_at + timedelta(seconds=1)).isoformat(),
                "channel": "email",
                "granted": False,
            },
        },
    )

    # Then dispatch re-checks consent at send time: nothing is sent, and the reason is kept
    assert emails_to(mail, "p-race") == []
    results = [
        r for _, status, r in mail.runtime.players.outbox("p-race") if status == "suppressed"
    ]
    assert any("no email consent" in r for r in results), results
    reasons = [a.reason for a in mail.runtime.players.audit("p-race")]
    assert any("withdrawn before sending" in r for r in reasons), reasons
