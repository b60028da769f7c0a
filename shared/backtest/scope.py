"""A draft that changes rules only is replayed for the players it can reach, not for all.

Most drafts edit a campaign or two: a new rule, a changed condition or reward, a rule
switched off. The published run then asks each decision whether it met one of the changed
rules in either version (shared/domain/run/rule_probe.py says what "met" means and why a
player never met is decided the same way under the draft). Players are replayed one after
the other: the published run, then the draft's only for a player who met a changed rule;
anyone else's draft figures are their published ones (the figures of independent players
add up, `Tally.merge`). A draft reaching a tenth of the players costs 1.1 replays instead
of 2, and one reaching everyone costs 2, as before. A draft that changes anything but rules
(templates, policies, segments, game items), or a config with a campaign budget (one pool
for all players, so nobody is independent and all advance in one time order), is replayed
whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.backtest import collector
from shared.backtest.history import PlayerHistory
from shared.backtest.outcome import Tally
from shared.backtest.replay import PoolLedger, RunResult, has_campaign_budget, run
from shared.domain.authoring.rules import RuleSet
from shared.domain.core.config import ConfigSnapshot
from shared.domain.run.rule_probe import RuleProbe

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 5_000  # input events between two progress reports, as replay.run does


@dataclass
class SideRun:
    """One config's run: tally, counts, seconds spent in it, and how many players it
    replayed (with a scope, the draft's can be fewer than all)."""

    tally: Tally
    result: RunResult
    seconds: float = 0.0
    players_replayed: int = 0


@dataclass(frozen=True)
class DraftScope:
    """The rules a draft changes (added, removed, edited), with the draft's versions."""

    changed: frozenset[str]
    draft_rules: RuleSet

    def probe(self) -> RuleProbe:
        return RuleProbe(self.changed, self.draft_rules)


def draft_scope(published: ConfigSnapshot, draft: ConfigSnapshot) -> DraftScope | None:
    """The draft's changed rules when it changes rules only and no pool is shared; else None
    (then the draft is replayed for every player)."""
    if has_campaign_budget(published) or has_campaign_budget(draft):
        return None
    for name in ("templates", "rg_thresholds", "engagement", "delivery", "shop", "game"):
        if getattr(published, name) != getattr(draft, name):
            return None
    if [s.segment for s in published.segments] != [s.segment for s in draft.segments]:
        return None
    before = {r.rule_id: r.rule for r in published.rules.all()}
    after = {r.rule_id: r for r in draft.rules.all()}
    changed = frozenset(
        rule_id
        for rule_id in before.keys() | after.keys()
        if rule_id not in before or rule_id not in after or before[rule_id] != after[rule_id].rule
    )
    return DraftScope(changed, RuleSet(r for rule_id, r in after.items() if rule_id in changed))


def _players(players: Sequence[PlayerHistory]) -> int:
    return sum(1 for p in players if p.events)


def run_sides(
    players: Sequence[PlayerHistory],
    configs: Sequence[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    scope: DraftScope | None = None,
    progress: Progress | None = None,
) -> list[SideRun]:
    """Each config's run over `players`, one after the other. With a scope and the two
    configs (published, draft), the draft is replayed only for the players it reaches."""

    def one(
        name: str,
        config: ConfigSnapshot,
        who: Sequence[PlayerHistory],
        probe: RuleProbe | None = None,
    ) -> SideRun:
        started = time.perf_counter()
        report = (lambda done, total: progress(name, done, total)) if progress else None
        tally = Tally(count_from)
        result = run(who, config, until, observer=tally, progress=report, probe=probe)
        return SideRun(tally, result, time.perf_counter() - started, _players(who))

    if scope is None or len(configs) != 2:
        return [one(name, config, players) for name, config in configs]
    with collector.paused():  # once around all players, not once per player's run
        return _paired(players, configs, count_from, until, scope, progress)


def _paired(
    players: Sequence[PlayerHistory],
    configs: Sequence[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    scope: DraftScope,
    progress: Progress | None,
) -> list[SideRun]:
    """Player after player (they are independent: no pool is shared): the published run,
    then the draft's only if the player met a changed rule; otherwise the player's draft
    figures are their published ones."""
    (pub_name, published), (draft_name, draft) = configs
    probe = scope.probe()
    sides = [
        SideRun(Tally(count_from), RunResult([], PoolLedger(), 0, 0)),
        SideRun(Tally(count_from), RunResult([], PoolLedger(), 0, 0)),
    ]
    total, done, told = sum(p.size for p in players), 0, 0
    for history in players:
        started = time.perf_counter()
        mine = Tally(count_from)
        result = run([history], published, until, observer=mine, probe=probe)
        _add(sides[0], mine, result, time.perf_counter() - started, history)
        if result.met_changed:
            started = time.perf_counter()
            theirs = Tally(count_from)
            again = run([history], draft, until, observer=theirs)
            _add(sides[1], theirs, again, time.perf_counter() - started, history)
        else:
            sides[1].tally.merge(mine)
        done += history.size
        if progress is not None and (done - told >= PROGRESS_EVERY or done == total):
            progress(f"{pub_name} + {draft_name}", done, total)
            told = done
    return sides


def _add(side: SideRun, tally: Tally, result: RunResult, seconds: float, of: PlayerHistory) -> None:
    side.tally.merge(tally)
    side.result.players += result.players
    side.result.steps += result.steps
    side.result.duplicates += result.duplicates
    side.result.met_changed |= result.met_changed
    side.seconds += seconds
    side.players_replayed += 1 if of.events else 0
