"""Why did (or didn't) a player get a message: the decision trace of a replay, told plainly.

The player is replayed alone (shared/backtest/replay.py `rerun_player`, which sees campaign
pools as they stood in the full run) with a recorder that keeps every trace line, what
dispatch did with each send, and, for each event a rule listens to but did not fire on,
which condition failed (the rule's own compiled pattern, `Matcher.explain`, evaluated on the
event and the player's profile as the event found it — the same document a dry-run shows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.models import EventDetail
from shared.backtest.history import PlayerHistory
from shared.backtest.replay import Dispatched, PoolLedger, all_rules, rerun_player
from shared.domain.authoring.rules import CompiledRule, Rule, sent_channels
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PlayerState
from shared.domain.players.profile import apply_event
from shared.domain.run.decide import Decision, match_document
from shared.domain.run.decision import TraceLine

MAX_NOT_FIRED = 3  # "did not match" lines kept per rule (the first ones; the rest counted)


@dataclass(frozen=True)
class Line(TraceLine):
    """A decision's trace line with the (virtual) time it was decided at."""

    at: datetime

    def __str__(self) -> str:
        return f"{self.at.isoformat()} {self.detail_type} {self.event_id}: {super().__str__()}"


@dataclass
class TraceRecorder:
    """Keeps a player's trace; `watch` limits the "why not" lines to the rules asked about."""

    config: ConfigSnapshot
    watch: frozenset[str] = frozenset()
    lines: list[Line] = field(default_factory=list)
    sends: list[Dispatched] = field(default_factory=list)
    not_fired: dict[str, int] = field(default_factory=dict)

    def step(
        self,
        player_id: str,
        event: EventDetail,
        now: datetime,
        before: PlayerState,
        decision: Decision,
        sends: Sequence[Dispatched],
    ) -> None:
        for t in decision.trace:
            self.lines.append(Line(event.event_id, event.detail_type, t.rule_id, t.text, at=now))
        for sent in sends:
            self.sends.append(sent)
            what = f"{sent.effect.channel} {sent.effect.template}"
            text = (
                f"dispatch: {what} sent"
                if sent.status == "done"
                else (f"dispatch: {what} {sent.status} at send time ({sent.reason})")
            )
            self.lines.append(
                Line(event.event_id, event.detail_type, sent.item.rule_id, text, at=now)
            )
        self._why_not(event, now, before, decision)

    def _why_not(
        self, event: EventDetail, now: datetime, before: PlayerState, decision: Decision
    ) -> None:
        acted = {t.rule_id for t in decision.trace}
        pending: list[CompiledRule] = [
            r
            for r in self.config.rules.candidates(event.detail_type)
            if r.rule_id in self.watch and r.rule_id not in acted
        ]
        if not pending:
            return
        # The profile as the event found it, with the event applied: what the rule's
        # condition is evaluated on (derived facts like segments are as of before the event).
        state = before.working_copy()
        state.profile = apply_event(state.profile, event)
        doc = match_document(event, state)
        for rule in pending:
            why = rule.matcher.explain(doc) if rule.matcher is not None else None
            text = f"did not match: {why}" if why else "matched, but did not act"
            seen = self.not_fired.get(rule.rule_id, 0)
            self.not_fired[rule.rule_id] = seen + 1
            if seen < MAX_NOT_FIRED:
                self.lines.append(
                    Line(event.event_id, event.detail_type, rule.rule_id, text, at=now)
                )


def rules_sending(config: ConfigSnapshot, template: str) -> list[str]:
    """The rules (any variant, any timer, any cascade) that may send `template`."""
    out = []
    for rule_id, compiled in sorted(all_rules(config).items()):
        if _sends(compiled.rule, template):
            out.append(rule_id)
    return out


def _sends(rule: Rule, template: str) -> bool:
    if template in sent_channels(rule.then):
        return True
    for variant in rule.experiment.variants if rule.experiment else ():
        if template in sent_channels(variant.then or ()) or template in variant.templates.values():
            return True
    return False


@dataclass
class Explanation:
    player_id: str
    template: str | None
    rules: list[str]
    got: list[Dispatched]
    lines: list[Line]
    not_fired: dict[str, int]
    known: bool

    def text(self) -> list[str]:
        if not self.known:
            return [f"player {self.player_id}: no events in the history"]
        what = f"template {self.template}" if self.template else "everything"
        out = [f"player {self.player_id}, {what}"]
        if self.template is not None:
            if not self.rules:
                out.append(f"  no enabled rule sends {self.template}")
            else:
                out.append(f"  rules that can send it: {', '.join(self.rules)}")
            delivered = [s for s in self.got if s.status == "done"]
            if delivered:
                out.append(
                    "  GOT IT: "
                    + "; ".join(f"{s.effect.channel} at {s.at.isoformat()}" for s in delivered)
                )
            else:
                out.append("  DID NOT GET IT")
        for line in self.lines:
            out.append(f"  {line}")
        for rule_id, n in sorted(self.not_fired.items()):
            if n > MAX_NOT_FIRED:
                out.append(f"  (rule {rule_id}: {n - MAX_NOT_FIRED} more events did not match)")
        return out


def explain(
    history: PlayerHistory | None,
    player_id: str,
    config: ConfigSnapshot,
    until: datetime,
    template: str | None = None,
    rules: Iterable[str] | None = None,
    step_numbers: Sequence[int] = (),
    pools: PoolLedger | None = None,
) -> Explanation:
    """Replay one player and keep the lines that say why `template` (or `rules`) went or not."""
    if history is None or not history.events:
        return Explanation(player_id, template, [], [], [], {}, known=False)
    watched = (
        list(rules)
        if rules is not None
        else (rules_sending(config, template) if template else sorted(all_rules(config)))
    )
    recorder = TraceRecorder(config, frozenset(watched))
    rerun_player(history, config, until, step_numbers, pools or PoolLedger(), recorder)
    keep = set(watched)
    if template is not None or rules is not None:
        lines = [ln for ln in recorder.lines if ln.rule_id in keep]
        got = [s for s in recorder.sends if template is None or s.effect.template == template]
    else:
        lines, got = recorder.lines, recorder.sends
    return Explanation(player_id, template, watched, got, lines, recorder.not_fired, known=True)


def explain_from_lake(
    root: Any,
    player_id: str,
    config: ConfigSnapshot,
    last: date,
    template: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Explanation:
    """Explain one player over the lake's history up to `last` (a UTC day, inclusive).

    With a campaign budget the pool is shared: everyone is replayed first (without traces)
    so the player sees each pool as it stood; otherwise only the player's events are read.
    """
    from shared.backtest.history import day_bounds, lake_days, read_lake
    from shared.backtest.replay import has_campaign_budget, run

    span = lake_days(root)
    first = span[0] if span else last
    until = day_bounds(first, last)[1]
    if has_campaign_budget(config):
        everyone = read_lake(root, until=last)
        result = run(everyone.players, config, until, progress=progress)
        mine = next((p for p in result.players if p.player_id == player_id), None)
        history = next((p for p in everyone.players if p.player_id == player_id), None)
        return explain(
            history,
            player_id,
            config,
            until,
            template=template,
            step_numbers=mine.step_numbers if mine else (),
            pools=result.pools,
        )
    found = read_lake(root, until=last, players=[player_id])
    history = found.players[0] if found.players else None
    return explain(history, player_id, config, until, template=template)


def explanation_json(told: Explanation) -> dict[str, Any]:
    """An explanation for the console (plain JSON types)."""
    return {
        "player_id": told.player_id,
        "template": told.template,
        "known": told.known,
        "rules": told.rules,
        "got": [
            {
                "channel": s.effect.channel,
                "template": s.effect.template,
                "status": s.status,
                "reason": s.reason,
                "at": s.at.isoformat(),
            }
            for s in told.got
        ],
        "lines": [str(line) for line in told.lines],
    }
