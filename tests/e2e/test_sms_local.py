"""The local stack sends SMS through moto's SNS (push goes through SNS mobile push, see test_push_local)."""

from __future__ import annotations

from shared.local.embedded import sent_sms

PHONE = "+447700900123"


def registered(stack, player, **extra):
    return {
        "source": "casino.example",
        "detail-type": "player.registered",
        "detail": {
            "player_id": player,
            "event_id": f"reg-{player}",
            "occurred_at": stack.clock.now().isoformat(),
            "locale": "en",
            "time_zone": "Europe/Kyiv",
            "country": "UA",
            **extra,
        },
    }


def test_given_an_sms_rule_when_a_player_with_a_phone_registers_then_moto_sns_gets_the_text(
    stack,
):
    config, now = stack.runtime.config, stack.clock.now()
    config.put_template(
        {
            "template_id": "welcome-sms",
            "channel": "sms",
            "locale": "en",
            "category": "service",
            "subject": "Welcome (unused by SMS)",
            "text": 'Welcome, {{ first_name | "friend" }}! Your account is ready.',
        },
        actor="test",
        now=now,
    )
    config.put_rule(
        {
            "rule_id": "welcome-sms",
            "on": ["player.registered"],
            "then": [{"send": {"template": "welcome-sms", "channel": "sms"}}],
        },
        actor="test",
        now=now,
    )
    config.publish()

    stack.runtime.put_events([registered(stack, "p-sms", phone=PHONE, first_name="Olena")])
    stack.runtime.pump()

    assert sent_sms(stack) == [{"to": PHONE, "text": "Welcome, Olena! Your account is ready."}]
    ((_item, status, result),) = [
        o for o in stack.runtime.players.outbox("p-sms") if o[0].effect.kind == "send"
    ]
    assert status == "done", result
    assert PHONE not in result


def test_given_the_local_stack_then_sms_is_wired_and_push_is_not(stack):
    dispatch = stack.runtime.resources.dispatch_settings()

    assert dispatch.sms_provider == "sns"
    assert dispatch.push_application_id is None
