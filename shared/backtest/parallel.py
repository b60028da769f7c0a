"""Players replayed in a pool of processes (they are independent when no pool is shared).

The config and the players' histories are handed to the workers by fork, not pickled: a
compiled rule set holds automata that are costly to serialise, and a month of events is
millions of models. A task names a slice of the players by position; each worker replays
it and sends back only its tally (figures and per-player outcomes), never player states.
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


def _replay_slice(bounds: tuple[int, int]) -> tuple[Tally, int, int]:
    config, everyone = _shared["config"], _shared["players"]
    assert isinstance(config, ConfigSnapshot)
    assert isinstance(everyone, list)
    players: list[PlayerHistory] = everyone[bounds[0] : bounds[1]]
    count_from, until = _shared["count_from"], _shared["until"]
    assert isinstance(count_from, datetime)
    assert isinstance(until, datetime)
    tally = Tally(count_from)
    result = run(players, config, until, observer=tally)
    tally.forget_grants()  # bookkeeping for the run, not a figure: not sent back
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
    everyone = list(players)
    slices = [(i, min(i + size, len(everyone))) for i in range(0, len(everyone), size)]
    total = sum(len(p.events) for p in everyone)
    _shared.update(config=config, players=everyone, count_from=count_from, until=until)
    merged = Tally(count_from)
    steps = duplicates = done = 0
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part, (tally, n, dups) in zip(
                slices, pool.imap(_replay_slice, slices), strict=True
            ):
                merged.merge(tally)
                steps, duplicates = steps + n, duplicates + dups
                done += sum(len(p.events) for p in everyone[part[0] : part[1]])
                if progress is not None:
                    progress(done, total)
    finally:
        _shared.clear()
    return merged, RunResult([], PoolLedger(), steps, duplicates)
