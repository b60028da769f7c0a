"""Players replayed in a pool of processes (they are independent when no pool is shared).

The configs and the players' histories are handed to the workers by fork, not pickled: a
compiled rule set holds automata that are costly to serialise, and a month of events is
millions of models. A task names a slice of the players by position; each worker parses
that slice's lake rows (PlayerHistory parses when first read, and the parent has not read
them), replays it under every config in turn, and sends back only the tallies (figures and
per-player outcomes) and counts, never player states or events. One pool serves both sides
of a backtest, so a slice is parsed once and no core idles between the two runs.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.backtest import collector
from shared.backtest.history import PlayerHistory, Unreplayable
from shared.backtest.outcome import Tally
from shared.backtest.replay import PoolLedger, RunResult
from shared.backtest.scope import DraftScope, SideRun, run_sides
from shared.domain.core.config import ConfigSnapshot

CHUNKS_PER_WORKER = 4
_shared: dict[str, object] = {}


@dataclass
class PoolRun:
    """What the workers sent back, added up. Seconds are the workers' own (summed over
    them), for telling how a run's wall time divides between parsing and each config."""

    sides: list[SideRun]
    players: int = 0  # players with at least one replayable event
    events: int = 0
    unreplayable: list[Unreplayable] = field(default_factory=list)
    parse_seconds: float = 0.0


@dataclass
class _SliceResult:
    tallies: list[Tally]
    steps: list[int]
    duplicates: list[int]
    seconds: list[float]
    replayed: list[int]
    players: int
    events: int
    unreplayable: list[Unreplayable]
    parse_seconds: float


def _replay_slice(bounds: tuple[int, int]) -> _SliceResult:
    with collector.paused():  # the parse too: its events live as long as the slice
        return _replay_slice_paused(bounds)


def _replay_slice_paused(bounds: tuple[int, int]) -> _SliceResult:
    configs, everyone = _shared["configs"], _shared["players"]
    assert isinstance(configs, list)
    assert isinstance(everyone, list)
    players: list[PlayerHistory] = everyone[bounds[0] : bounds[1]]
    count_from, until = _shared["count_from"], _shared["until"]
    assert isinstance(count_from, datetime)
    assert isinstance(until, datetime)
    started = time.perf_counter()
    events = sum(len(p.events) for p in players)  # parses this slice, here
    parse_seconds = time.perf_counter() - started
    scope = _shared.get("scope")
    assert scope is None or isinstance(scope, DraftScope)
    runs = run_sides(players, configs, count_from, until, scope)
    return _SliceResult(
        [r.tally for r in runs],
        [r.result.steps for r in runs],
        [r.result.duplicates for r in runs],
        [r.seconds for r in runs],
        [r.players_replayed for r in runs],
        players=sum(1 for p in players if p.events),
        events=events,
        unreplayable=[row for p in players for row in p.unreplayable],
        parse_seconds=parse_seconds,
    )


def run_parallel(
    players: Sequence[PlayerHistory],
    configs: Sequence[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    scope: DraftScope | None = None,
) -> PoolRun:
    """Replay `players` under each of `configs` in `workers` processes; what they found.

    `progress` counts the inputs of the slices done (each under every config). With
    `scope`, each slice replays the draft for the players of it the draft can reach.
    """
    everyone = list(players)
    if "fork" not in multiprocessing.get_all_start_methods():
        return _serial(everyone, configs, count_from, until, progress, scope)
    size = max(1, -(-len(everyone) // (workers * CHUNKS_PER_WORKER)))
    slices = [(i, min(i + size, len(everyone))) for i in range(0, len(everyone), size)]
    _shared.update(
        configs=list(configs), players=everyone, count_from=count_from, until=until, scope=scope
    )
    pool_run = PoolRun(
        [SideRun(Tally(count_from), RunResult([], PoolLedger(), 0, 0)) for _ in configs]
    )
    done, total = 0, sum(p.size for p in everyone)
    try:
        with collector.frozen_for_fork(), multiprocessing.get_context("fork").Pool(workers) as pool:
            for part, got in zip(slices, pool.imap(_replay_slice, slices), strict=True):
                for side, tally, steps, dups, seconds, replayed in zip(
                    pool_run.sides,
                    got.tallies,
                    got.steps,
                    got.duplicates,
                    got.seconds,
                    got.replayed,
                    strict=True,
                ):
                    side.tally.merge(tally)
                    side.result.steps += steps
                    side.result.duplicates += dups
                    side.seconds += seconds
                    side.players_replayed += replayed
                pool_run.players += got.players
                pool_run.events += got.events
                pool_run.unreplayable += got.unreplayable
                pool_run.parse_seconds += got.parse_seconds
                done += sum(p.size for p in everyone[part[0] : part[1]])
                if progress is not None:
                    progress(done, total)
    finally:
        _shared.clear()
    return pool_run


def _serial(
    players: list[PlayerHistory],
    configs: Sequence[tuple[str, ConfigSnapshot]],
    count_from: datetime,
    until: datetime,
    progress: Callable[[int, int], None] | None,
    scope: DraftScope | None,
) -> PoolRun:
    """Where processes cannot fork: the same run in this process."""
    started = time.perf_counter()
    events = sum(len(p.events) for p in players)
    parse_seconds = time.perf_counter() - started
    report = (lambda name, done, total: progress(done, total)) if progress else None
    return PoolRun(
        run_sides(players, configs, count_from, until, scope, report),
        players=sum(1 for p in players if p.events),
        events=events,
        unreplayable=[row for p in players for row in p.unreplayable],
        parse_seconds=parse_seconds,
    )
