"""A backtest of the published config over a recorded local history reproduces what the live
pipeline did (same ledger lines, same sends, same suppressions, same timers left), and a
backtest never writes a table, sends, or arms a schedule."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from moto.backends import get_backend

from shared import wiring
from shared.adapters.lake_files import LocalLake
from shared.backtest.config_items import starter_items
from shared.backtest.history import day_bounds, read_lake
from shared.backtest.replay import Dispatched, PlayerReplay, run
from shared.domain.core.state import LedgerEntry, SendMessage
from shared.local.embedded import ACCOUNT, Embedded, load_starter_config
from shared.local.provision import REGION

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
DAYS = 4
OPERATOR = "casino.example"


def envelope(
    detail_type: str, player: str, event_id: str, at: datetime, **detail: Any
) -> dict[str, Any]:
    body = {"player_id": player, "event_id": event_id, "occurred_at": at.isoformat(), **detail}
    return {"source": OPERATOR, "detail-type": detail_type, "detail": body}


def registered(player: str, at: datetime, zone: str, **consents: bool) -> dict[str, Any]:
    return envelope(
        "player.registered",
        player,
        f"reg-{player}",
        at,
        locale="en",
        time_zone=zone,
        country="GB",
        first_name="Sam",
        email=f"{player}@example.org",
        phone="+447700900123",
        consents={"email": True, "push": False, "sms": False, **consents},
    )


def deposit(player: str, n: int, at: datetime, amount: str, ok: bool = True) -> dict[str, Any]:
    kind = "wallet.deposit_succeeded" if ok else "wallet.deposit_failed"
    return envelope(
        kind,
        player,
        f"dep-{player}-{n}",
        at,
        deposit_id=f"{player}-{n}",
        amount=amount,
        currency="EUR",
    )


def rounds(player: str, day: int, at: datetime, outcomes: str) -> list[dict[str, Any]]:
    out = []
    for k, outcome in enumerate(outcomes):
        payout = {"L": "0", "W": "10", "P": "2"}[outcome]
        out.append(
            envelope(
                "game.round_finished",
                player,
                f"rnd-{player}-{day}-{k}",
                at + timedelta(minutes=k),
                round_id=f"{player}-{day}-{k}",
                game_id="slots-7",
                category="slots",
                stake="2",
                payout=payout,
                currency="EUR",
            )
        )
    return out


def story() -> list[dict[str, Any]]:
    """Five players over four days, small enough to record in seconds: a nudge timer armed
    for all, cancelled by deposits and fired for Eve; a tier upgrade and its celebration (a
    derived event) on email, push and inbox, the push held through Kyiv's quiet hours; an
    exclusion refusing a bonus; a consent change; a duplicate delivery; a failed deposit;
    daily logins with their once-a-day points and spins; a few rounds."""
    h, d = timedelta(hours=1), timedelta(days=1)
    events = [
        registered("bt-ann", T0, "Europe/London", push=True),
        envelope(
            "player.device_registered",
            "bt-ann",
            "dev-ann",
            T0 + timedelta(minutes=1),
            device_token="tok-ann-1",
            platform="ios",
        ),
        registered("bt-ben", T0 + 2 * h, "Europe/Kyiv", push=True),
        envelope(
            "player.device_registered",
            "bt-ben",
            "dev-ben",
            T0 + 2 * h + timedelta(minutes=1),
            device_token="tok-ben-1",
            platform="android",
        ),
        registered("bt-cy", T0 + 3 * h, "America/New_York"),
        registered("bt-dee", T0 + 4 * h, "Europe/London", email=False),
        registered("bt-eve", T0 + 5 * h, "Australia/Sydney"),
        envelope("player.logged_in", "bt-ann", "login-ann-0", T0 + 6 * h),
        envelope("player.logged_in", "bt-ann", "login-ann-0b", T0 + 7 * h),  # same day: no points
        envelope("player.logged_in", "bt-ann", "login-ann-1", T0 + d + 2 * h),
        envelope("player.logged_in", "bt-eve", "login-eve-1", T0 + d + 3 * h),
        *rounds("bt-eve", 1, T0 + d + 3 * h + timedelta(minutes=2), "LLW"),
        deposit("bt-ann", 1, T0 + d + 4 * h, "2500"),  # straight to gold: celebrated
        deposit("bt-cy", 1, T0 + d + 5 * h, "50"),
        envelope(
            "player.consent_changed",
            "bt-dee",
            "consent-dee",
            T0 + d + 6 * h,
            channel="email",
            granted=True,
        ),
        envelope(
            "rg.self_excluded",
            "bt-cy",
            "sx-cy",
            T0 + 2 * d,
            until=(T0 + timedelta(days=200)).isoformat(),
            scheme="operator",
        ),
        deposit("bt-cy", 2, T0 + 2 * d + 2 * h, "80"),  # excluded: no bonus
        deposit("bt-dee", 1, T0 + 2 * d + 3 * h, "30", ok=False),
        deposit("bt-dee", 2, T0 + 2 * d + 4 * h, "1200"),
        # 21:00 in Kyiv: the tier-up push waits for the end of quiet hours.
        deposit("bt-ben", 1, T0 + 2 * d + 10 * h, "3000"),
    ]
    return sorted(events, key=lambda e: (e["detail"]["occurred_at"], e["detail"]["event_id"]))


@dataclass
class Recorded:
    stack: Embedded
    lake: LocalLake
    players: list[str]
    until: datetime
    live_ledger: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    live_sends: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    live_timers: dict[str, set[str]] = field(default_factory=dict)


def ledger_key(line: LedgerEntry) -> tuple[Any, ...]:
    return (line.entry_id, line.kind, line.points, line.balance_after, line.rule_id, line.event_id)


@pytest.fixture(scope="module")
def recorded(moto_server, tmp_path_factory) -> Iterator[Recorded]:
    """The story played once through the real handlers on moto, the lake on."""
    server, endpoint = moto_server
    stack = Embedded.on(server, endpoint, T0 - timedelta(hours=1))
    lake = LocalLake(tmp_path_factory.mktemp("bt") / "lake")
    stack.runtime.lake = lake
    load_starter_config(stack.runtime.config, stack.clock.now())
    runtime = stack.runtime
    events = story()
    for env in events:
        at = datetime.fromisoformat(env["detail"]["occurred_at"])
        if at > stack.clock.now():
            runtime.advance(at - stack.clock.now())
        runtime.put_events([env])
        if env["detail"]["event_id"] == "dep-bt-dee-2":
            runtime.put_events([env])  # delivered twice: applied once
        runtime.pump()
    until = day_bounds(T0.date(), (T0 + timedelta(days=DAYS - 1)).date())[1]
    runtime.advance(until - timedelta(seconds=1) - stack.clock.now())
    players = sorted({e["detail"]["player_id"] for e in events})
    rec = Recorded(stack, lake, players, until)
    for player in players:
        rec.live_ledger[player] = {ledger_key(x) for x in runtime.players.ledger(player)}
        rec.live_sends[player] = {
            (item.outbox_id, item.effect.channel, item.effect.template, status)
            for item, status, _ in runtime.players.outbox(player)
            if isinstance(item.effect, SendMessage)
        }
    for _, name, schedule in runtime.pending_schedules():
        player = json.loads(schedule["Target"]["Input"])["player_id"]
        rec.live_timers.setdefault(player, set()).add(name)
    yield rec
    wiring.reset()


@dataclass
class Collect:
    ledger: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    sends: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)

    def step(
        self,
        player_id: str,
        event: Any,
        now: Any,
        decision: Any,
        sends: Sequence[Dispatched],
    ) -> None:
        self.ledger.setdefault(player_id, set()).update(ledger_key(x) for x in decision.ledger)
        self.sends.setdefault(player_id, set()).update(
            (s.item.outbox_id, s.effect.channel, s.effect.template, s.status) for s in sends
        )


def backtested(rec: Recorded) -> tuple[Collect, list[PlayerReplay]]:
    last = (rec.until - timedelta(days=1)).date()
    history = read_lake(rec.lake.root, until=last)
    collect = Collect()
    result = run(history.players, starter_items().build(1), rec.until, observer=collect)
    return collect, result.players


def test_the_recorded_history_holds_every_player_and_nothing_unreplayable(recorded):
    history = read_lake(recorded.lake.root, until=date(2026, 12, 31))

    assert [p.player_id for p in history.players] == recorded.players
    assert history.unreplayable == []
    assert history.regenerated.get("engage.timer.fired", 0) > 0


def test_backtesting_the_published_config_writes_the_same_ledger_lines(recorded):
    collect, _ = backtested(recorded)

    assert sum(len(v) for v in recorded.live_ledger.values()) >= 6
    assert collect.ledger == {p: v for p, v in recorded.live_ledger.items() if v}


def test_backtesting_the_published_config_sends_and_suppresses_the_same_messages(recorded):
    collect, _ = backtested(recorded)

    sends = {p: v for p, v in recorded.live_sends.items() if v}
    channels = {channel for v in sends.values() for _, channel, _, _ in v}
    assert {"email", "push", "inbox"} <= channels
    assert collect.sends == sends


def test_backtesting_leaves_the_same_timers_armed(recorded):
    _, players = backtested(recorded)

    armed = {p.player_id: {s.schedule_name for s in p.pending_schedules} for p in players}
    assert {p: v for p, v in armed.items() if v} == recorded.live_timers


def _snapshot(rec: Recorded) -> dict[str, Any]:
    clients = rec.stack.runtime.clients
    dynamodb = clients.client("dynamodb")
    tables = {}
    for name in dynamodb.list_tables()["TableNames"]:
        items = dynamodb.scan(TableName=name, ConsistentRead=True)["Items"]
        # The state item holds binary (compressed) attributes: compare them as hex.
        tables[name] = sorted(json.dumps(i, sort_keys=True, default=bytes.hex) for i in items)
    sqs = clients.client("sqs")
    queues = {
        url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]
        for url in sqs.list_queues().get("QueueUrls", [])
    }
    return {
        "tables": tables,
        "queues": queues,
        "schedules": sorted(name for _, name, _ in rec.stack.runtime.pending_schedules()),
        "emails": len(get_backend("ses")[ACCOUNT][REGION].sent_messages),
        "sms": len(get_backend("sns")[ACCOUNT][REGION].sms_messages),
    }


def test_a_backtest_from_the_cli_writes_no_table_sends_nothing_and_arms_no_schedule(
    recorded, tmp_path, capsys
):
    from shared.local.cli import main

    draft = tmp_path / "draft.json"
    rules = starter_items().rules
    nudge = next(r for r in rules if r["rule_id"] == "no-deposit-nudge")
    draft.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        **nudge,
                        "then": [
                            {
                                **nudge["then"][0],
                                "schedule": {**nudge["then"][0]["schedule"], "after": "P1D"},
                            }
                        ],
                    }
                ]
            }
        )
    )
    before = _snapshot(recorded)

    code = main(
        [
            "backtest",
            "--config",
            str(draft),
            "--lake",
            str(recorded.lake.root),
            "--html",
            str(tmp_path / "bt.html"),
            "--png",
            str(tmp_path / "png"),
        ]
    )

    assert code == 0
    assert _snapshot(recorded) == before
    out = capsys.readouterr().out
    assert "players whose outcome changed" in out
    assert (tmp_path / "bt.html").is_file()
    pngs = sorted((tmp_path / "png").iterdir())
    assert [p.name for p in pngs][:2] == ["cost_per_day.png", "reach_funnel.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)


def test_the_next_draft_over_the_same_lake_replays_only_the_draft_and_a_scope_changes_nothing(
    recorded, tmp_path, capsys
):
    from shared.local.cli import main

    draft = tmp_path / "draft.json"
    login = next(r for r in starter_items().rules if r["rule_id"] == "daily-login-points")
    draft.write_text(json.dumps({"rules": [{**login, "enabled": False}]}))
    lake = str(recorded.lake.root)

    def run(*flags: str) -> dict[str, Any]:
        assert main(["backtest", "--config", str(draft), "--lake", lake, "--json", *flags]) == 0
        report: dict[str, Any] = json.loads(capsys.readouterr().out)
        return report

    def figures(report: dict[str, Any]) -> dict[str, Any]:
        for side in ("published", "draft"):
            report[side] |= {"seconds": 0, "cached": None, "players_replayed": None}
        return report

    first, second, uncached = run(), run(), run("--no-cache")
    whole = run("--no-cache", "--no-scope")

    assert second["published"]["cached"]
    assert not second["draft"]["cached"]
    assert not uncached["published"]["cached"]
    # A draft of rules only: replayed for the players it meets, unless --no-scope.
    assert whole["draft"]["players_replayed"] == whole["players"]
    assert uncached["draft"]["players_replayed"] <= whole["players"]
    assert figures(second) == figures(first) == figures(uncached) == figures(whole)
    assert second["changed_count"] > 0


def test_the_story_exercises_a_fired_timer_a_deferral_and_a_derived_celebration(recorded):
    # Guards the story itself: the comparison above means little without these.
    audits = {p: recorded.stack.runtime.players.audit(p) for p in recorded.players}
    sends = recorded.live_sends

    assert any(t == "deposit-nudge" for _, _, t, _ in sends["bt-eve"])
    assert any(a.category == "deferral" for a in audits["bt-ben"])
    assert ("push", "tier-up", "done") in {(c, t, s) for _, c, t, s in sends["bt-ben"]}
    assert any(a.category == "suppression" for a in audits["bt-cy"])
