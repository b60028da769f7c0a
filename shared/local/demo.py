"""The scripted player story the README's first command plays through the real handlers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.lake_files import LocalLake
from shared.console.players import mask_phone
from shared.domain.core.config import ConfigProblem
from shared.domain.core.state import OutboxItem
from shared.domain.run.decide import Decision
from shared.local.embedded import (
    Embedded,
    load_starter_config,
    sent_emails,
    sent_push,
    sent_sms,
)
from shared.local.runtime import FiredTimer

START = datetime.fromisoformat("2026-11-24T09:00:00+00:00")
ANNA, BEN, CARA, DAN = "p-anna", "p-ben", "p-cara", "p-dan"

Printer = Callable[[str], None]


@dataclass
class StoryRecorder:
    """Engine + dispatch observer that prints what happens, stamped with virtual time."""

    clock_now: Callable[[], datetime]
    out: Printer
    start: datetime = START
    decisions: list[tuple[str, Decision]] = field(default_factory=list)
    performed_results: list[tuple[OutboxItem, str]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    fired: list[FiredTimer] = field(default_factory=list)

    def _say(self, text: str) -> None:
        elapsed = self.clock_now() - self.start
        stamp = f"day {elapsed.days} {self.clock_now():%H:%M}"
        self.out(f"  {stamp:>12} | {text}")

    def refused(self, message_id: str, reason: str) -> None:
        self.refusals.append((message_id, reason))
        self._say(f"engine: refused to DLQ: {reason}")

    def rg_refused(self, message_id: str, reason: str, salvaged: bool) -> None:
        action = "applied as an indefinite exclusion" if salvaged else "parked"
        self._say(f"engine: MALFORMED RG EVENT, compliance alerted, {action}: {reason}")

    def duplicates(self, player_id: str, event_ids: Sequence[str]) -> None:
        self.duplicate_ids += event_ids
        self._say(
            f"engine: {player_id}: duplicate {', '.join(event_ids)} ignored (already applied)"
        )

    def decided(self, player_id: str, decision: Decision) -> None:
        self.decisions.append((player_id, decision))
        current = None
        for line in decision.trace:
            if line.event_id != current:
                current = line.event_id
                self._say(f"engine: {player_id} <- {line.detail_type} ({line.event_id})")
            self._say(f"          {line}")

    def retrying(self, player_id: str, attempt: int, why: str) -> None:
        self._say(f"engine: {player_id}: write conflict, retry {attempt} ({why})")

    def performed(self, item: OutboxItem, result: str) -> None:
        self.performed_results.append((item, result))
        self._say(f"dispatch: {item.player_id} {result}")

    def timer_fired(self, timer: FiredTimer) -> None:
        self.fired.append(timer)
        self._say(f"scheduler: fired {timer.detail['timer']} for {timer.detail['player_id']}")

    def config_problem(self, problem: ConfigProblem) -> None:
        self._say(f"config: skipped {problem}")


def envelope(
    detail_type: str, detail: dict[str, Any], source: str = "casino.example"
) -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": detail}


def _at(when: datetime) -> str:
    return when.isoformat()


@dataclass
class DemoResult:
    recorder: StoryRecorder
    embedded: Embedded


def run_demo(
    out: Printer = print, embedded: Embedded | None = None, lake: LocalLake | None = None
) -> DemoResult:
    """Play the story; print it; return what happened for tests to assert on."""
    # The story below says what the handlers did; their own INFO logs (JSON lines meant for
    # CloudWatch) would only interleave with it. Set POWERTOOLS_LOG_LEVEL to see them.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    embedded = embedded or Embedded.start(START)
    recorder = StoryRecorder(embedded.clock.now, out)
    embedded.attach(recorder, lake=lake)
    runtime = embedded.runtime
    out(
        f"Local engage stack on moto at {embedded.endpoint} "
        f"(virtual clock starts {START:%Y-%m-%d %H:%M} UTC)"
    )
    version = load_starter_config(runtime.config, embedded.clock.now())
    out(f"Loaded starter rules and templates; published config version {version}.\n")

    def chapter(title: str) -> None:
        out(f"\n== {title}")

    def send(*envelopes: dict[str, Any]) -> None:
        runtime.put_events(envelopes)
        runtime.pump()

    now = embedded.clock.now
    chapter("Two players register")
    send(
        envelope(
            "player.registered",
            {
                "player_id": ANNA,
                "event_id": "reg-anna",
                "occurred_at": _at(now()),
                "locale": "uk-UA",
                "time_zone": "Europe/Kyiv",
                "country": "UA",
                "first_name": "Анна",
                "email": "anna@example.org",
                "consents": {"email": True},
            },
        ),
        envelope(
            "player.registered",
            {
                "player_id": BEN,
                "event_id": "reg-ben",
                "occurred_at": _at(now()),
                "locale": "en-GB",
                "time_zone": "Europe/London",
                "country": "GB",
                "email": "ben@example.org",
                "phone": "+447700900123",
                "consents": {"email": True, "sms": True},
            },
        ),
    )

    chapter("Anna logs in twice the same day (daily points are limited to once a day)")
    runtime.advance(timedelta(hours=2))
    send(
        envelope(
            "player.logged_in",
            {
                "player_id": ANNA,
                "event_id": "login-anna-1",
                "occurred_at": _at(now()),
                "platform": "ios",
            },
        )
    )
    runtime.advance(timedelta(hours=1))
    send(
        envelope(
            "player.logged_in",
            {
                "player_id": ANNA,
                "event_id": "login-anna-2",
                "occurred_at": _at(now()),
                "platform": "ios",
            },
        )
    )

    chapter("Day 1: Anna deposits; the no-deposit nudge is cancelled for her")
    runtime.advance(timedelta(days=1) - timedelta(hours=3))
    deposit = envelope(
        "wallet.deposit_succeeded",
        {
            "player_id": ANNA,
            "event_id": "dep-anna-1",
            "occurred_at": _at(now()),
            "deposit_id": "d-1",
            "amount": 50.25,
            "currency": "EUR",
        },
    )
    send(deposit)

    chapter("The same deposit is delivered again (at-least-once delivery): nothing changes")
    send(deposit)

    chapter("A malformed event (timestamp without offset) goes to the DLQ; the batch goes on")
    send(
        envelope(
            "game.round_finished",
            {
                "player_id": ANNA,
                "event_id": "bad-1",
                "occurred_at": "2026-11-25 10:00:00",
                "round_id": "r0",
                "game_id": "book-of-ra",
                "category": "slots",
                "stake": 1,
                "payout": 0,
                "currency": "EUR",
            },
        ),
        envelope(
            "game.round_finished",
            {
                "player_id": ANNA,
                "event_id": "round-1",
                "occurred_at": _at(now()),
                "round_id": "r1",
                "game_id": "book-of-ra",
                "category": "slots",
                "stake": 2,
                "payout": 0,
                "currency": "EUR",
            },
        ),
    )
    for letter in runtime.dead_letters():
        out(f"  DLQ holds: {letter['reason']}")

    chapter("Cara registers, then self-excludes: her nudge is cancelled, no points, no marketing")
    send(
        envelope(
            "player.registered",
            {
                "player_id": CARA,
                "event_id": "reg-cara",
                "occurred_at": _at(now()),
                "locale": "en",
                "time_zone": "Europe/London",
                "country": "GB",
                "first_name": "Cara",
                "email": "cara@example.org",
                "consents": {"email": True},
            },
        )
    )
    runtime.advance(timedelta(minutes=30))
    send(
        envelope(
            "rg.self_excluded",
            {
                "player_id": CARA,
                "event_id": "se-cara",
                "occurred_at": _at(now()),
                "until": _at(now() + timedelta(days=180)),
            },
        )
    )
    send(
        envelope(
            "wallet.deposit_succeeded",
            {
                "player_id": CARA,
                "event_id": "dep-cara-1",
                "occurred_at": _at(now()),
                "deposit_id": "d-c1",
                "amount": 20,
                "currency": "EUR",
            },
        )
    )

    _game_layer(embedded, chapter, send, out)

    chapter("Three days pass: Ben never deposited, so his nudge fires and is sent")
    runtime.advance(timedelta(days=3))

    chapter("The week ends: the weekly board closes and pays its prizes (by its timer)")
    week_end = datetime(2026, 11, 30, 0, 10, tzinfo=UTC)
    runtime.advance(week_end - now())
    dan = runtime.players.state(DAN)
    if dan is not None:
        out(f"   Dan: {dan.points_balance} points, badges {sorted(dan.badges)}")

    chapter("Where everyone stands")
    for player_id in (ANNA, BEN, CARA, DAN):
        _print_player(embedded, player_id, out)
    from shared.local.inspect import describe_audit

    out("")
    for line in describe_audit(runtime, CARA):
        out(line)
    emails = sent_emails(embedded)
    out(f"\nEmails accepted by (local) SES: {len(emails)}")
    for mail in emails:
        out(f"  - subject: {mail['subject']!r}")
    pushes = sent_push(embedded)
    out(f"Push notifications accepted by (local) SNS: {len(pushes)}")
    for push in pushes:
        out(f"  - {push['platform']}: {push['title']!r}")
    texts = sent_sms(embedded)
    out(f"SMS accepted by (local) SNS: {len(texts)}")
    for sms in texts:
        out(f"  - to {mask_phone(sms['to'])}: {sms['text']!r}")
    return DemoResult(recorder=recorder, embedded=embedded)


def _game_layer(
    embedded: Embedded,
    chapter: Callable[[str], None],
    send: Callable[..., None],
    out: Printer,
) -> None:
    """Dan plays the game layer: tier, badge, daily spin, store, mission, leaderboard."""
    from shared.player_api.wiring import build_player_api
    from shared.services.game_commands import GameRefused

    runtime, now = embedded.runtime, embedded.clock.now
    api = build_player_api(
        player_table=embedded.resources.player_table,
        config_table=embedded.resources.config_table,
        clients=runtime.clients,
        clock=embedded.clock,
    )
    chapter(
        "Dan deposits big: points, Gold tier at once (celebrated by email and push; the inbox "
        "copy meets his 3-a-day marketing cap), a badge"
    )
    send(
        envelope(
            "player.registered",
            {
                "player_id": DAN,
                "event_id": "reg-dan",
                "occurred_at": _at(now()),
                "locale": "en",
                "time_zone": "Europe/Kyiv",
                "country": "UA",
                "first_name": "Dan",
                "email": "dan@example.org",
                "consents": {"email": True, "push": True},
            },
        )
    )
    # His phone's app registers its push token (pushes go through SNS on moto locally).
    send(
        envelope(
            "player.device_registered",
            {
                "player_id": DAN,
                "event_id": "device-dan-1",
                "occurred_at": _at(now()),
                "device_token": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
                "platform": "ios",
            },
        )
    )
    embedded.clock.advance(timedelta(minutes=5))
    send(
        envelope(
            "wallet.deposit_succeeded",
            {
                "player_id": DAN,
                "event_id": "dep-dan-1",
                "occurred_at": _at(now()),
                "deposit_id": "dep-dan-1",
                "amount": "2500.00",
                "currency": "EUR",
            },
        )
    )
    tier = api.points.tier(DAN)
    if tier is not None:
        out(
            f"   player API tier: {tier.tier_name}, {tier.qualifying_points} qualifying points, "
            f"{tier.points_to_next} to {tier.next_tier_name}"
        )

    chapter("Dan logs in: a daily spin; he spins the wheel and buys 10 spins in the store")
    send(
        envelope(
            "player.logged_in",
            {"player_id": DAN, "event_id": "login-dan-1", "occurred_at": _at(now())},
        )
    )
    for request_id in ("spin-dan-1", "spin-dan-1"):
        spun = api.games.spin(DAN, "daily", request_id)
        again = " (a retried request: same answer, no second spin)" if spun.replayed else ""
        out(f"   spin {request_id}: {spun.record.label}{again}")
    try:
        bought = api.games.buy(DAN, "free-spins-10", "buy-dan-1")
        out(f"   bought {bought.record.name}: balance now {bought.record.balance_after}")
    except GameRefused as refused:
        out(f"   purchase refused: {refused.code}")
    runtime.pump()  # the spin and purchase events come back from the bus: already applied

    chapter("Dan joins the weekly-explorer mission and plays three different slots")
    send(
        envelope(
            "player.mission_joined",
            {
                "player_id": DAN,
                "event_id": "join-dan-1",
                "occurred_at": _at(now()),
                "mission_id": "weekly-explorer",
            },
        )
    )
    for n, (game, payout) in enumerate((("book", "30"), ("gems", "0"), ("fruit", "12"))):
        embedded.clock.advance(timedelta(minutes=1))
        send(
            envelope(
                "game.round_finished",
                {
                    "player_id": DAN,
                    "event_id": f"round-dan-{n}",
                    "occurred_at": _at(now()),
                    "round_id": f"round-dan-{n}",
                    "game_id": game,
                    "category": "slots",
                    "stake": "1.00",
                    "payout": payout,
                    "currency": "EUR",
                },
            )
        )
    boards = api.leaderboards
    board = boards.board("weekly-big-wins")
    period, _ = boards.period(board, None)
    top = boards.boards.top(board.board_id, period, board.shards, 3)
    ranked = ", ".join(f"#{p.rank} {p.entry.player_id} {p.entry.score}" for p in top)
    out(f"   {board.board_id} {period} top 3: {ranked}")


def _print_player(embedded: Embedded, player_id: str, out: Printer) -> None:
    from shared.local.inspect import describe_player

    out("")
    for line in describe_player(embedded.runtime, player_id):
        out(line)


def main() -> None:
    result = run_demo()
    result.embedded.stop()


if __name__ == "__main__":
    main()


__all__ = ["DemoResult", "StoryRecorder", "run_demo"]
