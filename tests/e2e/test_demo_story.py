"""The README demo's story, asserted end to end through the real handlers on moto."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared import wiring
from shared.domain.core.state import CancelTimer, ScheduleTimer, SendMessage
from shared.local.demo import ANNA, BEN, CARA, DAN, START, DemoResult, run_demo
from shared.local.embedded import Embedded, sent_emails, sent_push, sent_sms


@dataclass(frozen=True)
class DemoRun:
    result: DemoResult
    lines: list[str]
    emails: list[dict[str, Any]]
    pushes: list[dict[str, str]]
    texts: list[dict[str, str]]


@pytest.fixture(scope="module")
def demo(moto_server) -> Iterator[DemoRun]:
    """The whole story, played once for the module: each test reads what it left behind."""
    server, endpoint = moto_server
    lines: list[str] = []
    result = run_demo(out=lines.append, embedded=Embedded.on(server, endpoint, START))
    yield DemoRun(
        result=result,
        lines=lines,
        emails=sent_emails(result.embedded),
        pushes=sent_push(result.embedded),
        texts=sent_sms(result.embedded),
    )
    wiring.reset()


def outbox(stack, player):
    items = sorted(stack.runtime.players.outbox(player), key=lambda o: o[0].created_at)
    return [(item.effect, status) for item, status, _ in items]


def test_the_demo_story_plays_out_as_told(demo):
    result = demo.result
    stack = result.embedded

    anna, ben = outbox(stack, ANNA), outbox(stack, BEN)
    # Welcome sent to both.
    assert "welcome" in [e.template for e, s in anna if isinstance(e, SendMessage) and s == "done"]
    assert "welcome" in [e.template for e, s in ben if isinstance(e, SendMessage) and s == "done"]
    # Nudge scheduled for both; Anna's cancelled by her deposit, Ben's fired on day 3.
    assert sum(isinstance(e, ScheduleTimer) and e.timer == "no-deposit-3d" for e, _ in anna) == 1
    assert sum(isinstance(e, ScheduleTimer) and e.timer == "no-deposit-3d" for e, _ in ben) == 1
    assert [isinstance(e, CancelTimer) for e, _ in anna].count(True) == 1
    assert [t.detail["player_id"] for t in result.recorder.fired] == [BEN]
    assert result.recorder.fired[0].at.isoformat().startswith("2026-11-27T09:00")
    assert [
        (e.template, e.channel) for e, s in ben if isinstance(e, SendMessage) and s == "done"
    ] == [("welcome", "email"), ("deposit-nudge", "email"), ("deposit-nudge", "sms")]
    # The nudge's SMS reached Ben's phone through local SNS (he consented to SMS); Cara and
    # Anna, who did not, never got one.
    assert [t["to"] for t in demo.texts] == ["+447700900123"]
    assert "matched 100%" in demo.texts[0]["text"]
    assert "deposit-nudge" not in [e.template for e, _ in anna if isinstance(e, SendMessage)]
    # No nudge schedule is left behind; each player keeps one lifecycle (at-risk) timer, and
    # Anna and Dan, whose deposits earned points, their expiry and their tier's review.
    pending = sorted(name.split(".")[0] for _, name, _ in stack.runtime.pending_schedules())
    assert pending == ["lifecycle-at-risk"] * 4 + ["points"] * 2 + ["tier"] * 2


def test_the_demo_game_layer_pays_each_reward_once_and_keeps_the_ledger_whole(demo):
    result, lines = demo.result, demo.lines
    players = result.embedded.runtime.players

    dan = players.state(DAN)
    ledger = players.ledger(DAN)
    assert dan.tier.tier == "gold"
    assert set(dan.badges) == {"first-deposit", "champion"}
    assert dan.points_balance == sum(line.points for line in ledger)
    reasons = [line.reason for line in ledger]
    assert reasons.count("weekly explorer") == 1  # the mission paid once
    assert sum(line.rule_id == "board.weekly-big-wins" for line in ledger) == 1  # 1st prize
    assert [(line.kind, line.points) for line in ledger if line.kind == "spend"] == [
        ("spend", -500)
    ]
    # The retried spin request got the first answer back, not a second spin.
    assert any("a retried request: same answer" in line for line in lines)
    # Anna's losing round scored nothing, so she is not placed and wins no prize.
    assert all(line.rule_id != "board.weekly-big-wins" for line in players.ledger(ANNA))
    # The deposit thanks and the Gold email and push are three marketing messages that day
    # (the welcome is a service message): the inbox copy meets the 3-a-day cap.
    assert players.inbox(DAN) == []
    assert any("frequency cap" in a.reason for a in players.audit(DAN))


def test_the_demo_emails_really_reach_ses_rendered_with_fallbacks(demo):
    emails = demo.emails
    by_recipient = {}
    for mail in emails:
        by_recipient.setdefault(mail["to"][0], []).append(mail["subject"])
    assert by_recipient["anna@example.org"] == ["Вітаємо, Анна!", "Thanks for your first deposit"]
    assert by_recipient["ben@example.org"] == [
        "Welcome, friend!",
        "Hey, your welcome bonus is waiting",
    ]
    for mail in emails:
        text = mail["subject"] + str(mail["body"])
        assert "{{" not in text
        assert not re.search(r"\[[A-Z_]+\]", text)


def test_the_demo_keeps_balances_equal_to_ledgers_and_parks_the_malformed_event(demo):
    result = demo.result
    players = result.embedded.runtime.players
    for player in (ANNA, BEN):
        state = players.state(player)
        assert state.points_balance == sum(e.points for e in players.ledger(player))
    assert players.state(ANNA).points_balance == 60
    dlq = result.embedded.runtime.dead_letters()
    assert len(dlq) == 1
    assert "occurred_at" in dlq[0]["reason"]
    assert '"bad-1"' in dlq[0]["body"]


def test_the_demo_prints_a_readable_story(demo):
    text = "\n".join(demo.lines)
    for expected in (
        "send welcome by email",
        "timer no-deposit-3d armed",
        "timer no-deposit-3d cancelled",
        "duplicate dep-anna-1 ignored",
        "refused to DLQ",
        "fired no-deposit-3d for p-ben",
        "email deposit-nudge: sent as",
        "sms deposit-nudge: sent as",
        "SMS accepted by (local) SNS: 1",
    ):
        assert expected in text
    assert "anna@example.org" not in text  # contact details never printed
    assert "+447700900123" not in text


def test_the_demo_shows_the_responsible_gaming_gate(demo):
    result = demo.result
    players = result.embedded.runtime.players
    cara = outbox(result.embedded, CARA)
    assert players.state(CARA).points_balance == 0
    assert players.ledger(CARA) == []
    assert "deposit-nudge" not in [e.template for e, _ in cara if isinstance(e, SendMessage)]
    assert [isinstance(e, CancelTimer) for e, _ in cara].count(True) == 1
    assert {a.category for a in players.audit(CARA)} == {
        "exclusion",
        "timer_cancelled",
        "suppression",
    }


def test_the_self_excluded_player_gets_no_marketing_thank_you_either(demo):
    assert [m["subject"] for m in demo.emails if m["to"] == ["cara@example.org"]] == [
        "Welcome, Cara!"
    ]


def test_the_gold_celebration_reaches_dans_phone_by_push_through_the_local_provider(demo):
    # The local runtime delivers push through SNS mobile push on moto, so the story shows
    # what AWS would do instead of "no push channel configured".
    assert demo.pushes == [
        {"platform": "ios", "title": demo.pushes[0]["title"], "body": demo.pushes[0]["body"]}
    ]
    assert "gold" in (demo.pushes[0]["title"] + demo.pushes[0]["body"]).lower()
    statuses = [
        status
        for item, status, _ in demo.result.embedded.runtime.players.outbox(DAN)
        if getattr(item.effect, "channel", None) == "push"
    ]
    assert statuses == ["done"]
