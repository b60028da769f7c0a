"""How many processes `--workers auto` (the CLI's default) replays a history in.

One process per usable core, at most AUTO_MAX, for a history of AUTO_MIN_ROWS rows or more.
Below that a backtest takes seconds in one process, and forking the pool and adding up its
tallies would be most of the time saved. The cap keeps a big server from forking dozens of
copies of the parent's memory for one run. Kept apart from parallel.py (which imports the
decision core) so the CLI can quote these numbers in its help without importing it.
"""

from __future__ import annotations

import os

AUTO_MIN_ROWS = 100_000
AUTO_MAX = 8


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: no affinity call
        return os.cpu_count() or 1


def auto_workers(rows: int, cores: int) -> int:
    """How many processes `--workers auto` replays `rows` lake rows in, given `cores`."""
    if rows < AUTO_MIN_ROWS or cores < 2:
        return 1
    return min(cores, AUTO_MAX)
