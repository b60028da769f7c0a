"""Python's cycle collector, paused while a replay runs.

A replay keeps a month of parsed events and every player's state alive: millions of
long-lived objects. Each full (oldest-generation) collection traverses all of them, and the
replay allocates fast enough to trigger one every few seconds — measured in interleaved
runs of a 1,000-player backtest in one process: 35.4 and 32.5 CPU s with the collector on,
28.6 and 28.7 with it paused. It finds almost nothing: the decision core makes no reference
cycles to speak of (1,098 unreachable objects after a whole 500-player backtest; everything
else is freed by reference counting the moment it is dropped). So the replay pauses the collector
and runs it once at the end, which keeps memory bounded by the same rule as before.

At 10,000 players x 30 days with `--workers 2` (benchmarks/backtest_speed.py), the pause and
the freeze below took the run from 396 to 308 CPU seconds and from 205.6 to 158.8 s wall.

Forked workers add a second cost: the objects they inherit (the players' lake rows) are
shared copy-on-write pages, and a collection in the child writes to every object header it
traverses, copying those pages. `frozen_for_fork` moves the parent's objects out of the
collector's reach (`gc.freeze`, made for exactly this) until the pool is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cycle collection inside; one afterwards, if the collector was on.

    The switch is the process's: in a threaded server (the console's backtest button) two
    overlapping runs leave it on once the one that found it on has ended, whichever ends
    first, so it is never left off.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
            gc.collect()


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """The objects alive now are left alone by collections, here and in forked children."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
