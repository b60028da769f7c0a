"""Delivery that respects people: consent per channel, caps, quiet hours, duplicates, cascades."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import ConsentChanged, Consents, PlayerRegistered
from shared.domain.core.config import build_config
from shared.domain.core.state import PlayerState, ScheduleTimer, SendMessage
from shared.domain.messaging.delivery import (
    DeliveryLog,
    DeliveryPolicy,
    SentRecord,
    cap_reason,
    quiet_until,
)
from shared.domain.run.decide import decide
from tests.builders import PLAYER, fired, logged_in, template

NOON = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 12:00 in Kyiv


def tpl(template_id, channel, category="marketing"):
    return {**template(template_id, category=category), "channel": channel}


TEMPLATES = [tpl("promo", c) for c in ("email", "sms", "push", "inbox")] + [
    tpl("notice", c, "service") for c in ("email", "sms")
]


def cfg(*rules, delivery=None):
    policies = [{"policy_id": "engagement", "lifecycle": False}]
    if delivery:
        policies.append({"policy_id": "delivery", **delivery})
    snapshot = build_config(1, list(rules), TEMPLATES, policies)
    assert not snapshot.problems, snapshot.problems
    return snapshot


def player(when=NOON, email=True, sms=True, push=False, time_zone="Europe/Kyiv"):
    return PlayerRegistered(
        player_id=PLAYER,
        event_id=f"reg-{when.isoformat()}",
        occurred_at=when,
        locale="en",
        time_zone=time_zone,
        country="UA",
        email="a@example.org",
        phone="+380501234567",
        consents=Consents(email=email, sms=sms, push=push),
    )


def send_rule(channel="email", template_id="promo", on_cap="drop", rule_id="r"):
    return {
        "rule_id": rule_id,
        "on": ["player.logged_in"],
        "then": [{"send": {"template": template_id, "channel": channel, "on_cap": on_cap}}],
    }


def sends(d):
    return [o.effect for o in d.outbox if isinstance(o.effect, SendMessage)]


def run_at(config, *events):
    state = PlayerState.new(PLAYER)
    out = []
    for e in events:
        d = decide(state, e, config, e.occurred_at)
        state = d.state
        out.append(d)
    return state, out


def test_an_sms_goes_to_the_players_phone_with_sms_consent():
    _, ds = run_at(cfg(send_rule("sms")), player(), logged_in(NOON + timedelta(minutes=1)))
    (sms,) = sends(ds[-1])
    assert (sms.channel, sms.to) == ("sms", "+380501234567")


def test_a_channel_without_consent_is_never_used_and_the_reason_is_audited():
    _, ds = run_at(
        cfg(send_rule("push")), player(push=False), logged_in(NOON + timedelta(minutes=1))
    )
    assert sends(ds[-1]) == []
    assert ds[-1].audit[0].reason == "send promo by push: no push consent"


def test_the_daily_cap_drops_the_fourth_marketing_message_and_says_why():
    rules = [
        send_rule(rule_id=f"r{i}", template_id="promo", channel=c)
        for i, c in enumerate(["email", "sms", "inbox", "email"])
    ]
    # Distinct rules so the duplicate window is not what stops them.
    config = cfg(
        *rules,
        delivery={
            "duplicate_window_hours": 0,
            "per_channel_per_day": {"email": 5, "sms": 5, "push": 5, "inbox": 5},
        },
    )
    _, ds = run_at(config, player(), logged_in(NOON + timedelta(minutes=1)))
    assert len(sends(ds[-1])) == 3
    assert ds[-1].audit[-1].reason.endswith("frequency cap 3 per day reached")


def test_a_capped_message_can_be_deferred_to_the_next_local_day():
    rules = [
        send_rule(rule_id="a", channel="sms"),
        send_rule(rule_id="b", channel="sms", template_id="promo", on_cap="defer"),
    ]
    config = cfg(*rules, delivery={"duplicate_window_hours": 0})
    state, ds = run_at(config, player(), logged_in(NOON + timedelta(minutes=1)))
    timers = [o.effect for o in ds[-1].outbox if isinstance(o.effect, ScheduleTimer)]
    assert len(timers) == 1
    assert timers[0].due_at == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # midnight in Kyiv
    assert any(a.category == "deferral" for a in ds[-1].audit)
    t = timers[0]
    after = decide(state, fired(t.due_at, t.timer, t.rule_id, t.generation), config, t.due_at)
    # Midnight local is inside quiet hours for SMS: deferred again, to 09:00 local.
    later = [o.effect for o in after.outbox if isinstance(o.effect, ScheduleTimer)]
    assert later[0].due_at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def test_service_messages_ignore_caps_and_quiet_hours():
    night = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    rules = [send_rule(rule_id=f"s{i}", channel="sms", template_id="notice") for i in range(5)]
    _, ds = run_at(
        cfg(*rules, delivery={"duplicate_window_hours": 0}),
        player(when=night),
        logged_in(night + timedelta(minutes=1)),
    )
    assert len(sends(ds[-1])) == 5


def test_a_push_inside_quiet_hours_is_deferred_to_their_end_in_local_time():
    night = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    policy = DeliveryPolicy()
    assert quiet_until("push", night, "Europe/Kyiv", policy) == datetime(
        2026, 11, 25, 7, 0, tzinfo=UTC
    )
    assert quiet_until("email", night, "Europe/Kyiv", policy) is None


def test_an_unknown_time_zone_gets_the_wider_safe_window():
    early = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert quiet_until("sms", early, None, DeliveryPolicy()) == datetime(
        2026, 11, 24, 11, 0, tzinfo=UTC
    )
    assert quiet_until("sms", early, "Europe/Kyiv", DeliveryPolicy()) is None


def test_the_same_template_twice_within_the_window_is_suppressed_as_a_duplicate():
    config = cfg(send_rule("email"))
    _, ds = run_at(
        config,
        player(),
        logged_in(NOON + timedelta(minutes=1)),
        logged_in(NOON + timedelta(hours=2)),
    )
    assert len(sends(ds[1])) == 1
    assert sends(ds[2]) == []
    assert "duplicate of the one sent" in ds[2].audit[0].reason


def test_weekly_caps_count_in_the_players_week():
    log = DeliveryLog()
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    for i in range(10):
        log.record(
            SentRecord(
                at=monday + timedelta(hours=i * 12),
                channel="inbox",
                template=f"t{i}",
                category="marketing",
            )
        )
    policy = DeliveryPolicy(max_per_day=100, per_channel_per_day={"inbox": 100})
    assert (
        cap_reason(log, "email", monday + timedelta(days=5), "Europe/Kyiv", policy)
        == "frequency cap 10 per week reached"
    )
    assert cap_reason(log, "email", monday + timedelta(days=7), "Europe/Kyiv", policy) is None


def test_a_cascade_skips_a_channel_without_consent_and_falls_back_after_the_wait():
    rule = {
        "rule_id": "c",
        "on": ["player.logged_in"],
        "then": [
            {"cascade": {"template": "promo", "channels": ["push", "sms", "email"], "wait": "PT2H"}}
        ],
    }
    config = cfg(rule, delivery={"duplicate_window_hours": 0})
    state, ds = run_at(config, player(push=False), logged_in(NOON + timedelta(minutes=1)))
    assert [s.channel for s in sends(ds[-1])] == ["sms"]
    (timer,) = [o.effect for o in ds[-1].outbox if isinstance(o.effect, ScheduleTimer)]
    assert timer.due_at == NOON + timedelta(hours=2, minutes=1)
    next_step = decide(
        state,
        fired(timer.due_at, timer.timer, timer.rule_id, timer.generation),
        config,
        timer.due_at,
    )
    assert [s.channel for s in sends(next_step)] == ["email"]


# --- must hold: a channel without consent is never used ------------------------------------

channels = st.sampled_from(["email", "sms"])
steps = st.lists(
    st.tuples(st.sampled_from(["login", "grant", "revoke"]), channels, st.integers(1, 60 * 24 * 3)),
    max_size=25,
)
CONSENT_RULES = [send_rule(channel=c, rule_id=f"m-{c}") for c in ("email", "sms")] + [
    {
        "rule_id": "cascade",
        "on": ["player.logged_in"],
        "then": [{"cascade": {"template": "promo", "channels": ["sms", "email"], "wait": "PT1H"}}],
    }
]
CONSENT_CONFIG = cfg(
    *CONSENT_RULES,
    delivery={
        "duplicate_window_hours": 0,
        "max_per_day": 50,
        "max_per_week": 100,
        "per_channel_per_day": {"email": 50, "sms": 50, "push": 50, "inbox": 50},
        "per_channel_per_week": {"email": 100, "sms": 100, "push": 100, "inbox": 100},
        "quiet_channels": [],
    },
)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.booleans(), steps)
def test_no_marketing_ever_goes_to_a_channel_without_consent(email0, sms0, raw):
    consent = {"email": email0, "sms": sms0}
    state = PlayerState.new(PLAYER)
    queue = sorted((NOON + timedelta(minutes=m), k, c, n) for n, (k, c, m) in enumerate(raw))
    events = [player(email=email0, sms=sms0)]
    for when, kind, channel, n in queue:
        if kind == "login":
            events.append(logged_in(when))
        else:
            events.append(
                ConsentChanged(
                    player_id=PLAYER,
                    event_id=f"c{n}",
                    occurred_at=when,
                    channel=channel,
                    granted=kind == "grant",
                )
            )
    pending = []
    for e in events:
        while pending and pending[0].occurred_at <= e.occurred_at:
            fire = pending.pop(0)
            d = decide(state, fire, CONSENT_CONFIG, fire.occurred_at)
            state = d.state
            assert all(consent[s.channel] for s in sends(d) if s.category == "marketing")
        if isinstance(e, ConsentChanged):
            consent[e.channel] = e.granted
        d = decide(state, e, CONSENT_CONFIG, e.occurred_at)
        state = d.state
        assert all(consent[s.channel] for s in sends(d) if s.category == "marketing")
        for o in d.outbox:
            if isinstance(o.effect, ScheduleTimer):
                eff = o.effect
                pending.append(fired(eff.due_at, eff.timer, eff.rule_id, eff.generation))
        pending.sort(key=lambda f: f.occurred_at)


def test_an_sms_template_needs_no_subject_but_an_email_template_does():
    sms = {
        "template_id": "code",
        "channel": "sms",
        "category": "service",
        "text": 'Your code: {{ first_name | "x" }}',
    }
    email = {**sms, "channel": "email"}
    snapshot = build_config(1, [], [sms, email])
    assert ("code", "sms", "en") in snapshot.templates
    assert "subject: required for email templates" in str(snapshot.problems[0])


def test_a_cascade_stops_once_the_first_message_was_opened():
    from events.models import AppMessageOpened

    rule = {
        "rule_id": "c",
        "on": ["player.logged_in"],
        "then": [{"cascade": {"template": "promo", "channels": ["sms", "email"], "wait": "PT2H"}}],
    }
    config = cfg(rule, delivery={"duplicate_window_hours": 0})
    state, ds = run_at(config, player(), logged_in(NOON + timedelta(minutes=1)))
    (timer,) = [o.effect for o in ds[-1].outbox if isinstance(o.effect, ScheduleTimer)]
    sms_outbox = next(o for o in ds[-1].outbox if isinstance(o.effect, SendMessage))
    opened = AppMessageOpened(
        player_id=PLAYER,
        event_id="open-1",
        occurred_at=NOON + timedelta(minutes=30),
        outbox_id=sms_outbox.outbox_id,
        template="promo",
        channel="sms",
    )
    state = decide(state, opened, config, opened.occurred_at).state
    step = decide(
        state,
        fired(timer.due_at, timer.timer, timer.rule_id, timer.generation),
        config,
        timer.due_at,
    )
    assert sends(step) == []
    assert any("opened, stops here" in t.text for t in step.trace)


# --- offers announced by a message open when it reaches the player -------------------------


def offer_rule(*channels):
    return {
        "rule_id": "come-back",
        "on": ["player.logged_in"],
        "then": [
            *({"send": {"template": "promo", "channel": c}} for c in channels),
            {"open_offer": {"offer": "double", "multiplier": "2", "for": "PT2H"}},
        ],
    }


def test_given_an_sms_held_by_quiet_hours_then_its_two_hour_offer_opens_when_it_is_sent():
    # Given a login at 23:30 in Kyiv, inside quiet hours (21:00-09:00 local) for SMS
    night = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)
    morning = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 09:00 in Kyiv

    # When the rule sends its SMS and opens a 2-hour offer
    state, _ = run_at(cfg(offer_rule("sms")), player(night - timedelta(hours=1)), logged_in(night))

    # Then the offer runs 09:00-11:00 local, the two hours the player really has
    offer = state.engagement.offers["double"]
    assert (offer.opened_at, offer.until) == (morning, morning + timedelta(hours=2))
    assert not offer.open_at(night + timedelta(minutes=30))


def test_given_one_message_sent_at_once_then_the_offer_opens_at_once():
    night = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)

    state, _ = run_at(
        cfg(offer_rule("sms", "email")), player(night - timedelta(hours=1)), logged_in(night)
    )

    assert state.engagement.offers["double"].opened_at == night


def test_given_no_message_then_the_offer_opens_when_the_rule_fires():
    cfg_no_send = cfg(offer_rule())

    state, _ = run_at(cfg_no_send, player(), logged_in(NOON + timedelta(minutes=1)))

    assert state.engagement.offers["double"].opened_at == NOON + timedelta(minutes=1)
