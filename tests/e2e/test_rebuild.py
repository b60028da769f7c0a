"""Rebuild from the bus archive: a recorded local run, rebuilt into a fresh table, item by
item, with nothing sent, scheduled or published by the rebuild (docs/deploy.md, "Recovery")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from moto.backends import get_backend

from shared.adapters.state_codec import read_state
from shared.domain.core.reorder import WAKE_RULE
from shared.domain.core.state import AuditEntry, OutboxItem, ScheduleTimer
from shared.local.cli import rebuild_lines
from shared.local.embedded import ACCOUNT, Embedded
from shared.local.provision import REGION


def env(detail_type: str, **detail: Any) -> dict[str, Any]:
    return {"source": "casino.example", "detail-type": detail_type, "detail": detail}


def registered(player: str, at: str, consent: bool = True) -> dict[str, Any]:
    return env(
        "player.registered",
        player_id=player,
        event_id=f"reg-{player}",
        occurred_at=at,
        locale="en",
        time_zone="Europe/Kyiv",
        country="UA",
        first_name=player.title(),
        email=f"{player}@example.org",
        consents={"email": consent},
    )


def deposit(player: str, n: int, at: str, amount: str = "50.00") -> dict[str, Any]:
    return env(
        "wallet.deposit_succeeded",
        player_id=player,
        event_id=f"dep-{player}-{n}",
        occurred_at=at,
        deposit_id=f"d-{player}-{n}",
        amount=amount,
        currency="EUR",
    )


def login(player: str, n: int, at: str) -> dict[str, Any]:
    return env("player.logged_in", player_id=player, event_id=f"in-{player}-{n}", occurred_at=at)


def round_(player: str, n: int, at: str, payout: str = "0") -> dict[str, Any]:
    return env(
        "game.round_finished",
        player_id=player,
        event_id=f"rnd-{player}-{n}",
        occurred_at=at,
        round_id=f"r-{player}-{n}",
        game_id="book",
        category="slots",
        stake="5",
        payout=payout,
        currency="EUR",
    )


def excluded(player: str, at: str) -> dict[str, Any]:
    return env("rg.self_excluded", player_id=player, event_id=f"ex-{player}", occurred_at=at)


def _at(embedded: Embedded, seconds: float = 0) -> str:
    return (embedded.clock.now() + timedelta(seconds=seconds)).isoformat()


def play_story(embedded: Embedded) -> None:
    """Four players over a virtual week, each burst delivered out of order within W."""
    rt = embedded.runtime
    t = lambda s=0.0: _at(embedded, s)  # noqa: E731 - a short reader for the story
    # Day 0: registrations and first deposits, each deposit sent before its registration.
    rt.put_events(
        [
            deposit("anna", 1, t(5)),
            registered("anna", t(0)),
            deposit("dan", 1, t(8), amount="1200.00"),
            registered("dan", t(1)),
            registered("ben", t(2)),
            registered("cara", t(3)),
            deposit("cara", 1, t(9)),
        ]
    )
    rt.pump()
    rt.advance(timedelta(minutes=5))
    # Dan plays: losses and a win, delivered shuffled (seconds apart, all within W).
    rt.put_events(
        [
            round_("dan", 3, t(-40)),
            round_("dan", 1, t(-60)),
            round_("dan", 4, t(-30), payout="40"),
            round_("dan", 2, t(-50)),
            login("anna", 1, t(-20)),
        ]
    )
    rt.pump()
    rt.advance(timedelta(hours=20))
    # Day 1: Cara self-excludes, then deposits (delivered the other way round).
    rt.put_events([deposit("cara", 2, t(-10)), excluded("cara", t(-70)), login("anna", 2, t(-5))])
    rt.pump()
    # The week goes by: Ben's no-deposit nudge fires on day 3, lifecycle timers too.
    rt.advance(timedelta(days=4))
    rt.put_events([login("ben", 1, t(-30)), deposit("ben", 1, t(-100), amount="20.00")])
    rt.pump()
    rt.advance(timedelta(days=2))


def player_items(embedded: Embedded, table: str) -> dict[str, list[dict[str, Any]]]:
    ddb = embedded.runtime.clients.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    by_player: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["pk"]["S"].startswith("PLAYER#"):
            by_player.setdefault(item["pk"]["S"], []).append(item)
    return by_player


# What a rebuild reproduces, by sort-key prefix, and what it deliberately does not
# (docs/deploy.md, "What a rebuild restores"): the outbox is the log of performed effects,
# compared against the rebuild's list of withheld effects instead; inbox copies are made
# by delivery; audit entries of the dispatch stage are written when a send is attempted.
REBUILT = ("STATE", "EVENT#", "LEDGER#", "REV#", "AUDIT#", "BOARD#")
# SEEN# pages (adapters/seen_window.py) are named by the state version that wrote them,
# which a rebuild's batching changes; whether each event is applied once is what the
# replay checks, and tests/adapters/test_seen_window_store.py checks the pages' contents.
NOT_REBUILT = ("OUTBOX#", "INBOX#", "SEEN#")


def normalized(items: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        sk = item["sk"]["S"]
        prefix = next((p for p in (*REBUILT, *NOT_REBUILT) if sk.startswith(p)), None)
        assert prefix is not None, f"an item kind the rebuild test does not know: {sk}"
        if prefix in NOT_REBUILT:
            continue
        if prefix == "STATE":
            state = json.loads(read_state(item).model_dump_json())
            state.pop("version", None)
            state.pop("hold", None)
            out[sk] = {"state": state}
        elif prefix == "EVENT#":
            out[sk] = "applied"  # its expiry counts from when it was written
        elif prefix == "BOARD#":
            # `v` names the state version it was indexed from, which batching changes.
            out[sk] = {k: v for k, v in item.items() if k != "v"}
        elif prefix == "AUDIT#":
            entry = AuditEntry.model_validate_json(item["entry"]["S"])
            if entry.stage == "decision":
                out[sk] = item
        else:
            out[sk] = item
    return out


def effects(items: list[OutboxItem]) -> dict[str, Any]:
    out = {}
    for item in items:
        if item.rule_id == WAKE_RULE:
            continue
        data = item.model_dump(mode="json")
        if isinstance(item.effect, ScheduleTimer):
            data["effect"].pop("fire_at")  # clamped to the real time of the live decision
        out[item.outbox_id] = data
    return out


def observable(embedded: Embedded) -> dict[str, Any]:
    """Everything the outside world could see: mail, SMS and push sent, schedules, the bus,
    the queues, alerts."""
    rt = embedded.runtime
    ses = get_backend("ses")[ACCOUNT][REGION]
    sns = get_backend("sns")[ACCOUNT][REGION]
    events = get_backend("events")[ACCOUNT][REGION]
    sqs = rt.clients.client("sqs")

    def depth(url: str) -> str:
        attrs = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return f"{attrs['ApproximateNumberOfMessages']}/{attrs['ApproximateNumberOfMessagesNotVisible']}"

    return {
        "emails": len(ses.sent_messages),
        "sms": len(sns.sms_messages),
        "push": sum(len(e.messages) for e in sns.platform_endpoints.values()),
        "schedules": sorted(name for _, name, _ in rt.pending_schedules()),
        "archived": len(events.archives[rt.resources.archive_name].events),
        "engine_queue": depth(rt.resources.engine_queue_url),
        "compliance_queue": depth(rt.resources.compliance_queue_url),
        "dlq": depth(rt.resources.dead_letter_queue_url),
    }


def test_a_rebuild_from_the_archive_reproduces_every_player_item_by_item(live):
    # Given: a recorded local run (with the reorder window on), settled
    play_story(live)
    assert live.runtime.pump() == 0
    before = observable(live)
    original = player_items(live, live.resources.player_table)
    assert len(original) == 4
    # Leaderboard entries are among them (live: indexed from the stream; rebuilt: by the
    # rebuild itself, which a fresh table's stream may not reach).
    assert any(i["sk"]["S"].startswith("BOARD#") for items in original.values() for i in items)
    # When: every player is rebuilt from the archive into a fresh table
    table, report = live.runtime.rebuild()
    # Then: nothing was sent, scheduled or published, and nothing reached the live engine
    assert observable(live) == before
    assert player_items(live, live.resources.player_table) == original
    # ... and every player's rebuilt items equal the live ones
    rebuilt = player_items(live, table)
    assert sorted(rebuilt) == sorted(original)
    for pk in original:
        ours, theirs = normalized(rebuilt[pk]), normalized(original[pk])
        assert ours == theirs, (pk, _diff(ours, theirs))
    # ... the effects it decided are exactly those the live run performed (not again)
    live_outbox = [
        o for pk in original for o, _, _ in live.runtime.players.outbox(pk.removeprefix("PLAYER#"))
    ]
    assert effects(report.withheld_items) == effects(live_outbox)
    assert report.withheld["send"] > 0
    assert report.refused == []
    assert report.alerts == []
    # ... and the pending timers are listed, equal to the live state's, and not armed
    listed = sorted((t.player_id, t.timer, t.generation) for t in report.timers)
    pending = sorted(
        (pk.removeprefix("PLAYER#"), name, p.generation)
        for pk in original
        for name, p in (live.runtime.players.state(pk.removeprefix("PLAYER#")).timers.items())
    )
    assert listed == pending
    assert listed
    assert report.armed == []
    # ... and `engage rebuild` prints it so
    lines = rebuild_lines({"table": table, **report.summary()})
    assert lines[0].startswith(f"rebuilt 4 player(s) from {report.events} archived event(s)")
    assert "nothing was sent, scheduled or published" in lines[1]
    assert f"pending timers ({len(report.timers)}, not armed (use --arm-timers)):" in lines


def test_a_rebuild_arms_the_pending_timers_only_when_asked(live):
    # Given: a recorded run whose live schedules were lost with the stack
    play_story(live)
    scheduler = live.runtime.clients.client("scheduler")
    for _, name, _ in live.runtime.pending_schedules():
        scheduler.delete_schedule(Name=name, GroupName=live.resources.schedule_group)
    # When: the rebuild is asked to arm timers
    _, report = live.runtime.rebuild(arm=True)
    # Then: exactly one schedule per listed pending timer exists again
    names = sorted(name for _, name, _ in live.runtime.pending_schedules())
    assert names == sorted(t.schedule_name for t in report.timers)
    assert len(report.armed) == len(report.timers) > 0


def _diff(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two normalized item sets differ (JSON strings opened), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out += _diff(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, str) and isinstance(b, str) and a.startswith("{"):
        try:
            return _diff(json.loads(a), json.loads(b), path)
        except ValueError:
            pass
    return [(path, a, b)]
