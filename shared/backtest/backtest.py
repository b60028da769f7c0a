"""A backtest: the same history replayed under the published config and under a draft, and
what differs — reach, sends, suppressions, cost, budgets, missions, tiers, and per player."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shared.backtest import collector
from shared.backtest.explain import explain, rules_sending
from shared.backtest.history import History, PlayerHistory, Unreplayable
from shared.backtest.outcome import PlayerOutcome, Tally
from shared.backtest.parallel import run_parallel
from shared.backtest.replay import RunResult, has_campaign_budget
from shared.backtest.scope import DraftScope, draft_scope, run_sides
from shared.domain.core.config import ConfigSnapshot

MAX_EXPLAINED = 50  # changed players explained line by line (all are listed)
Progress = Callable[[str, int, int], None]


@dataclass
class ChangedPlayer:
    player_id: str
    published: PlayerOutcome
    draft: PlayerOutcome
    differences: list[str]
    explanation: list[str] = field(default_factory=list)


@dataclass
class Side:
    """One run of the backtest: its figures and what the replay needs to re-run a player."""

    name: str
    config: ConfigSnapshot
    tally: Tally
    result: RunResult
    seconds: float
    # Kept from an earlier backtest over the same history (published_cache.py): not replayed.
    cached: bool = False
    # Players replayed under this config: fewer than all for a draft of rules only, which
    # is replayed for the players it can reach (scope.py). None: not known (kept runs).
    players_replayed: int | None = None


@dataclass
class BacktestReport:
    count_from: datetime
    until: datetime
    players: int
    events: int
    published: Side
    draft: Side
    changed: list[ChangedPlayer]
    unreplayable: int = 0
    regenerated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unreplayable_rows: list[Unreplayable] = field(default_factory=list)
    # Parsing the lake's rows into events (in the workers, with several): not in `seconds`.
    parse_seconds: float = 0.0

    @property
    def single(self) -> bool:
        """One run only (a simulation of the published config): no comparison to show."""
        return self.draft is self.published

    @property
    def sides(self) -> list[Side]:
        return [self.published] if self.single else [self.published, self.draft]

    @property
    def replayed(self) -> list[Side]:
        """The sides this backtest replayed (not one kept from an earlier backtest)."""
        return [side for side in self.sides if not side.cached]

    @property
    def seconds(self) -> float:
        return sum(side.seconds for side in self.replayed)

    @property
    def events_per_second(self) -> float:
        steps = sum(side.result.steps for side in self.replayed)
        return steps / self.seconds if self.seconds else 0.0


@dataclass
class _Replayed:
    sides: list[Side]
    players: int
    events: int
    unreplayable: list[Unreplayable]
    parse_seconds: float


def _replay(
    history: History,
    configs: list[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    progress: Progress | None,
    workers: int,
    scope: DraftScope | None = None,
) -> _Replayed:
    """Each config's run over `history`: in one pool of `workers` processes when players
    share no pool (each worker parses its players once and runs every config), else here.
    With `scope` (scope.py), the draft is replayed only for the players it can reach."""
    if workers > 1 and not any(has_campaign_budget(c) for _, c in configs):
        started = time.perf_counter()
        report = (lambda done, total: progress("replay", done, total)) if progress else None
        pooled = run_parallel(history.players, configs, count_from, until, workers, report, scope)
        wall = time.perf_counter() - started
        # The workers' seconds tell how the wall time divides between parsing and configs.
        busy = pooled.parse_seconds + sum(s.seconds for s in pooled.sides) or 1.0
        sides = [
            Side(
                name,
                config,
                run.tally,
                run.result,
                wall * run.seconds / busy,
                players_replayed=run.players_replayed,
            )
            for (name, config), run in zip(configs, pooled.sides, strict=True)
        ]
        return _Replayed(
            sides,
            pooled.players,
            pooled.events,
            pooled.unreplayable,
            wall * pooled.parse_seconds / busy,
        )
    with collector.paused():  # the parsed events live through both runs (collector.py)
        return _replay_here(history, configs, count_from, until, progress, scope)


def _replay_here(
    history: History,
    configs: list[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    progress: Progress | None,
    scope: DraftScope | None,
) -> _Replayed:
    """Every config's run in this process, one after the other."""
    started = time.perf_counter()
    events = history.event_count  # parses every player, once
    parse_seconds = time.perf_counter() - started
    runs = run_sides(history.players, configs, count_from, until, scope, progress)
    sides = [
        Side(name, config, r.tally, r.result, r.seconds, players_replayed=r.players_replayed)
        for (name, config), r in zip(configs, runs, strict=True)
    ]
    return _Replayed(
        sides,
        sum(1 for p in history.players if p.events),
        events,
        history.unreplayable,
        parse_seconds,
    )


def differences(a: PlayerOutcome, b: PlayerOutcome) -> list[str]:
    """What changed for one player, published -> draft, in words."""
    out = []
    for key in sorted(set(a.sends) | set(b.sends)):
        if a.sends[key] != b.sends[key]:
            template, channel = key
            out.append(f"{channel} {template}: {a.sends[key]} -> {b.sends[key]}")
    if a.points != b.points:
        out.append(f"points earned: {a.points} -> {b.points}")
    if a.spins != b.spins:
        out.append(f"spins granted: {a.spins} -> {b.spins}")
    for mission in sorted(set(a.missions) | set(b.missions)):
        if a.missions[mission] != b.missions[mission]:
            out.append(
                f"mission {mission} completed: {a.missions[mission]} -> {b.missions[mission]}"
            )
    if a.tier_moves != b.tier_moves:
        out.append(f"tier moves: {a.tier_moves or 'none'} -> {b.tier_moves or 'none'}")
    return out


def _rules_behind(side: Side, a: PlayerOutcome, b: PlayerOutcome) -> set[str]:
    """The rules of this side that may send a template whose count differs."""
    rules: set[str] = set()
    for key in set(a.sends) | set(b.sends):
        if a.sends[key] != b.sends[key]:
            rules.update(rules_sending(side.config, key[0]))
    return rules


def backtest(
    history: History,
    published: ConfigSnapshot,
    draft: ConfigSnapshot,
    count_from: datetime,
    until: datetime,
    progress: Progress | None = None,
    explain_limit: int = MAX_EXPLAINED,
    workers: int = 1,
    published_side: Side | None = None,
    scoped: bool = True,
) -> BacktestReport:
    """Replay `history` under both configs; count what happened in [count_from, until).

    `workers` > 1 replays players in that many processes, unless a config has a campaign
    budget: players then share a pool and are replayed together in one (said in `notes`).
    `published_side` is the published run of an earlier backtest over this same history
    and window (published_cache.py): then only the draft is replayed. Otherwise a draft
    that changes rules only is replayed for the players it can reach (scope.py), unless
    `scoped` is False.
    """
    scope = None
    if published_side is None:
        configs = [("published", published), ("draft", draft)]
        scope = draft_scope(published, draft) if scoped else None
    else:
        configs = [("draft", draft)]
    replayed = _replay(history, configs, count_from, until, progress, workers, scope)
    a, b = replayed.sides if published_side is None else (published_side, *replayed.sides)
    by_id: dict[str, PlayerHistory] = {p.player_id: p for p in history.players}
    index_a = {p.player_id: p for p in a.result.players}
    index_b = {p.player_id: p for p in b.result.players}
    changed: list[ChangedPlayer] = []
    empty = PlayerOutcome()
    for player_id in sorted(set(a.tally.per_player) | set(b.tally.per_player)):
        pa = a.tally.per_player.get(player_id, empty)
        pb = b.tally.per_player.get(player_id, empty)
        if pa.signature() == pb.signature():
            continue
        changed.append(ChangedPlayer(player_id, pa, pb, differences(pa, pb)))
    for entry in changed[:explain_limit]:
        pa, pb = entry.published, entry.draft
        # The rules behind the differing sends, and those that paid points or spins.
        rules = _rules_behind(a, pa, pb) | _rules_behind(b, pb, pa)
        if pa.points != pb.points or pa.spins != pb.spins or pa.missions != pb.missions:
            rules |= set(a.tally.points_by_rule) | set(b.tally.points_by_rule)
            rules |= set(a.tally.spins_by_rule) | set(b.tally.spins_by_rule)
        history_of = by_id.get(entry.player_id)
        for side, index in ((a, index_a), (b, index_b)):
            found = index.get(entry.player_id)
            told = explain(
                history_of,
                entry.player_id,
                side.config,
                until,
                rules=sorted(rules),
                step_numbers=found.step_numbers if found else (),
                pools=side.result.pools,
            )
            lines = [str(ln) for ln in told.lines if ln.at >= count_from]
            entry.explanation.append(f"{side.name}:")
            entry.explanation += [f"  {line}" for line in lines] or ["  (nothing from these rules)"]
    notes = []
    if workers > 1 and (has_campaign_budget(published) or has_campaign_budget(draft)):
        notes.append(
            "a campaign budget is shared by all players: replayed in one process, not "
            f"{workers}, so the pool runs out when it would have"
        )
    return BacktestReport(
        notes=notes,
        count_from=count_from,
        until=until,
        players=replayed.players,
        events=replayed.events,
        published=a,
        draft=b,
        changed=changed,
        unreplayable=len(replayed.unreplayable),
        unreplayable_rows=replayed.unreplayable,
        parse_seconds=replayed.parse_seconds,
        regenerated=dict(history.regenerated),
    )


def single_run(
    history: History,
    config: ConfigSnapshot,
    count_from: datetime,
    until: datetime,
    progress: Progress | None = None,
    workers: int = 1,
) -> BacktestReport:
    """One config over a history (a simulation without a draft): both sides are that run."""
    replayed = _replay(history, [("published", config)], count_from, until, progress, workers)
    (side,) = replayed.sides
    return BacktestReport(
        count_from=count_from,
        until=until,
        players=replayed.players,
        events=replayed.events,
        published=side,
        draft=side,
        changed=[],
        unreplayable=len(replayed.unreplayable),
        unreplayable_rows=replayed.unreplayable,
        parse_seconds=replayed.parse_seconds,
        regenerated=dict(history.regenerated),
    )
