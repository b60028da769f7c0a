"""What one run did, tallied from its decisions: the figures a backtest compares.

Counted only for steps at or after `count_from` (earlier history warms the players' state
up: points, tiers, caps and timers carried into the window). Nothing here keeps a trace: a
player's explanation comes from re-running that player (shared/backtest/explain.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.models import EventDetail, MissionCompleted, TierChanged
from shared.backtest.replay import Dispatched
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PublishEvent
from shared.domain.game.game_rewards import STORE_RULE, WHEEL_RULE
from shared.domain.game.points import POINTS_RULE
from shared.domain.game.tiers import TIER_RULE
from shared.domain.outputs.lake import reason_code
from shared.domain.players.engagement import LIFECYCLE_RULE
from shared.domain.run.decide import Decision

# Rule ids the platform's own bookkeeping writes under (not a marketer's campaign).
PLATFORM_RULES = frozenset(
    {"engine", "rg", LIFECYCLE_RULE, WHEEL_RULE, STORE_RULE, TIER_RULE, POINTS_RULE}
)


@dataclass
class PlayerOutcome:
    """One player's result in the window: what a changed outcome is judged on."""

    sends: Counter[tuple[str, str]] = field(default_factory=Counter)
    points: int = 0
    spins: int = 0
    missions: Counter[str] = field(default_factory=Counter)
    tier_moves: list[str] = field(default_factory=list)
    suppressions: Counter[str] = field(default_factory=Counter)
    tier: str | None = None

    def signature(self) -> tuple[object, ...]:
        return (
            tuple(sorted(self.sends.items())),
            self.points,
            self.spins,
            tuple(sorted(self.missions.items())),
            tuple(self.tier_moves),
        )


@dataclass
class Tally:
    """A run's figures. Implements StepObserver."""

    count_from: datetime
    players_seen: set[str] = field(default_factory=set)
    targeted: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    sends_by_channel: Counter[str] = field(default_factory=Counter)
    sends_by_template: Counter[tuple[str, str]] = field(default_factory=Counter)
    sends_by_rule: Counter[str] = field(default_factory=Counter)
    sends_per_day: Counter[tuple[date, str]] = field(default_factory=Counter)
    suppressions: Counter[str] = field(default_factory=Counter)
    held_out: int = 0
    deferrals: int = 0
    points_by_rule: Counter[str] = field(default_factory=Counter)
    spins_by_rule: Counter[str] = field(default_factory=Counter)
    points_per_day: Counter[date] = field(default_factory=Counter)
    spins_per_day: Counter[date] = field(default_factory=Counter)
    budget_exhausted: dict[str, datetime] = field(default_factory=dict)
    missions: Counter[str] = field(default_factory=Counter)
    tier_moves: Counter[str] = field(default_factory=Counter)
    events: int = 0
    per_player: dict[str, PlayerOutcome] = field(default_factory=dict)

    def outcome(self, player_id: str) -> PlayerOutcome:
        found = self.per_player.get(player_id)
        if found is None:
            found = self.per_player[player_id] = PlayerOutcome()
        return found

    def step(
        self,
        player_id: str,
        event: EventDetail,
        now: datetime,
        decision: Decision,
        sends: Sequence[Dispatched],
    ) -> None:
        if now < self.count_from:
            return
        self.events += 1
        self.players_seen.add(player_id)
        mine = self.outcome(player_id)
        mine.tier = decision.state.tier.tier
        if not (
            decision.ledger or decision.outbox or decision.audit or decision.spins_granted or sends
        ):
            return  # most rounds: the profile moved, nothing else to count
        day = now.date()
        acting = [line.rule_id for line in decision.ledger]
        acting += [item.rule_id for item in decision.outbox]
        acting += [entry.rule_id or "engine" for entry in decision.audit]
        if any(rule_id not in PLATFORM_RULES for rule_id in acting):
            self.targeted.add(player_id)
        for line in decision.ledger:
            if line.kind == "earn":
                self.points_by_rule[line.rule_id] += line.points
                self.points_per_day[day] += line.points
                mine.points += line.points
        for grant in decision.spins_granted:
            self.spins_by_rule[grant.rule_id] += 1
            self.spins_per_day[day] += 1
            mine.spins += 1
        for entry in decision.audit:
            if entry.category == "suppression":
                code = reason_code(entry.reason)
                self.suppressions[code] += 1
                mine.suppressions[code] += 1
                if code == "budget_campaign" and entry.rule_id:
                    self.budget_exhausted.setdefault(entry.rule_id, now)
            elif entry.category == "held_out":
                self.held_out += 1
            elif entry.category == "deferral":
                self.deferrals += 1
        for item in decision.outbox:
            effect = item.effect
            if not isinstance(effect, PublishEvent):
                if effect.kind == "send":
                    self.queued.add(player_id)
                continue
            if effect.detail_type == MissionCompleted.detail_type:
                mission = str(effect.detail.get("mission_id"))
                self.missions[mission] += 1
                mine.missions[mission] += 1
            elif effect.detail_type == TierChanged.detail_type:
                move = f"{effect.detail.get('previous_tier') or '-'} -> {effect.detail.get('tier')}"
                self.tier_moves[move] += 1
                mine.tier_moves.append(move)
        for sent in sends:
            if sent.status != "done":
                code = reason_code(sent.reason or sent.status)
                self.suppressions[f"at send time: {code}"] += 1
                mine.suppressions[f"at send time: {code}"] += 1
                continue
            channel, template = sent.effect.channel, sent.effect.template
            self.reached.add(player_id)
            self.sends_by_channel[channel] += 1
            self.sends_by_template[(template, channel)] += 1
            self.sends_by_rule[sent.item.rule_id] += 1
            self.sends_per_day[(day, channel)] += 1
            mine.sends[(template, channel)] += 1

    def money_cost(self, config: ConfigSnapshot) -> dict[str, int]:
        """Bonus money (cents) of the rules whose budget is counted in money."""
        from shared.backtest.replay import all_rules

        out: dict[str, int] = {}
        for rule_id, rule in all_rules(config).items():
            budget = rule.rule.budget
            if budget is not None and budget.unit == "money":
                out[rule_id] = budget.cost(
                    self.points_by_rule[rule_id], self.spins_by_rule[rule_id]
                )
        return out

    def merge(self, other: Tally) -> None:
        """Add another part of the same run (players replayed in another process)."""
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(mine, set):
                mine |= value
            elif isinstance(mine, Counter):
                mine.update(value)
            elif name == "budget_exhausted":
                for rule_id, at in value.items():
                    if rule_id not in mine or at < mine[rule_id]:
                        mine[rule_id] = at
            elif name == "per_player":
                mine.update(value)
            elif isinstance(mine, int):
                setattr(self, name, mine + value)


_SETS = ("players_seen", "targeted", "queued", "reached")
_COUNTERS = (
    "sends_by_channel",
    "sends_by_template",
    "sends_by_rule",
    "sends_per_day",
    "suppressions",
    "points_by_rule",
    "spins_by_rule",
    "points_per_day",
    "spins_per_day",
    "missions",
    "tier_moves",
)


def _key_text(key: object) -> str:
    if isinstance(key, tuple):
        return "|".join(str(k) for k in key)
    return str(key)


def tally_to_json(tally: Tally) -> dict[str, object]:
    """A tally's figures as plain JSON (per-player outcomes left out): what a shard of an
    AWS backtest hands to the reduce step, which adds the shards up with `Tally.merge`."""
    out: dict[str, object] = {"count_from": tally.count_from.isoformat()}
    for name in _SETS:
        out[name] = sorted(getattr(tally, name))
    for name in _COUNTERS:
        out[name] = {_key_text(k): n for k, n in getattr(tally, name).items()}
    out["budget_exhausted"] = {k: v.isoformat() for k, v in tally.budget_exhausted.items()}
    out.update(held_out=tally.held_out, deferrals=tally.deferrals, events=tally.events)
    return out


def tally_from_json(data: dict[str, Any]) -> Tally:
    tally = Tally(datetime.fromisoformat(data["count_from"]))
    for name in _SETS:
        getattr(tally, name).update(data.get(name, []))
    for name in _COUNTERS:
        counter: Counter[Any] = getattr(tally, name)
        for text, n in data.get(name, {}).items():
            counter[_parse_key(name, text)] += n
    tally.budget_exhausted = {
        k: datetime.fromisoformat(v) for k, v in data.get("budget_exhausted", {}).items()
    }
    tally.held_out = int(data.get("held_out", 0))
    tally.deferrals = int(data.get("deferrals", 0))
    tally.events = int(data.get("events", 0))
    return tally


def _parse_key(name: str, text: str) -> object:
    if name == "sends_by_template":
        template, channel = text.split("|", 1)
        return (template, channel)
    if name == "sends_per_day":
        day, channel = text.split("|", 1)
        return (date.fromisoformat(day), channel)
    if name in ("points_per_day", "spins_per_day"):
        return date.fromisoformat(text)
    return text
