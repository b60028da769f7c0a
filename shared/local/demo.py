"""The scripted player story the README's first command plays through the real handlers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.domain.config import ConfigProblem
from shared.domain.decide import Decision
from shared.domain.state import OutboxItem
from shared.local.embedded import Embedded, load_starter_config, sent_emails
from shared.local.runtime import FiredTimer

START = datetime.fromisoformat("2026-11-24T09:00:00+00:00")
ANNA, BEN, CARA = "p-anna", "p-ben", "p-cara"

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


def run_demo(out: Printer = print, embedded: Embedded | None = None) -> DemoResult:
    """Play the story; print it; return what happened for tests to assert on."""
    embedded = embedded or Embedded.start(START)
    recorder = StoryRecorder(embedded.clock.now, out)
    embedded.attach(recorder)
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
                "consents": {"email": True},
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

    chapter("Three days pass: Ben never deposited, so his nudge fires and is sent")
    runtime.advance(timedelta(days=3))

    chapter("Where everyone stands")
    for player_id in (ANNA, BEN, CARA):
        _print_player(embedded, player_id, out)
    from shared.local.inspect import describe_audit

    out("")
    for line in describe_audit(runtime, CARA):
        out(line)
    emails = sent_emails(embedded)
    out(f"\nEmails accepted by (local) SES: {len(emails)}")
    for mail in emails:
        out(f"  - subject: {mail['subject']!r}")
    return DemoResult(recorder=recorder, embedded=embedded)


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
