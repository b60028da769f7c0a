"""Players replayed in a pool of processes (they are independent when no pool is shared).

The config is handed to the workers by fork, not pickled: a compiled rule set holds
automata that are costly to serialise. Each worker replays a slice of the players and sends
back only its tally (figures and per-player outcomes), never player states.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from datetime import datetime

from shared.backtest.history import PlayerHistory
from shared.backtest.outcome import Tally
from shared.backtest.replay import PoolLedger, RunResult, run
from shared.domain.core.config import ConfigSnapshot

CHUNKS_PER_WORKER = 4
_shared: dict[str, object] = {}


def _replay_slice(players: list[PlayerHistory]) -> tuple[Tally, int, int]:
    config = _shared["config"]
    assert isinstance(config, ConfigSnapshot)
    count_from, until = _shared["count_from"], _shared["until"]
    assert isinstance(count_from, datetime)
    assert isinstance(until, datetime)
    tally = Tally(count_from)
    result = run(players, config, until, observer=tally)
    return tally, result.steps, result.duplicates


def run_parallel(
    players: Sequence[PlayerHistory],
    config: ConfigSnapshot,
    count_from: datetime,
    until: datetime,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Tally, RunResult]:
    """Replay `players` in `workers` processes; the merged tally and the run's counts."""
    if "fork" not in multiprocessing.get_all_start_methods():
        tally = Tally(count_from)
        return tally, run(players, config, until, observer=tally, progress=progress)
    size = max(1, -(-len(players) // (workers * CHUNKS_PER_WORKER)))
    slices = [list(players[i : i + size]) for i in range(0, len(players), size)]
    total = sum(len(p.events) for p in players)
    _shared.update(config=config, count_from=count_from, until=until)
    merged = Tally(count_from)
    steps = duplicates = done = 0
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part, (tally, n, dups) in zip(
                slices, pool.imap(_replay_slice, slices), strict=True
            ):
                merged.merge(tally)
                steps, duplicates = steps + n, duplicates + dups
                done += sum(len(p.events) for p in part)
                if progress is not None:
                    progress(done, total)
    finally:
        _shared.clear()
    return merged, RunResult([], PoolLedger(), steps, duplicates)
