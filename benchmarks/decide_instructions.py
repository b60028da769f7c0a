"""Instructions per decision, counted by valgrind: a figure that does not drift with the machine.

Wall and CPU times on a shared machine move 10-20 % from one minute to the next, more than
most single changes to the decision core are worth. valgrind's callgrind counts the machine
instructions a run executes instead, which is the same on every run of the same code and
inputs, so two versions can be told apart by one run each.

Two workloads, each run twice under callgrind (once with the work, once with only its setup:
imports, building the config and the events), the difference divided by the decisions made:

- `replay`: a synthetic casino month (shared/backtest/simulate.py) replayed under the
  starter config, as the backtest replays it (in place, untraced);
- `decide`: decide_throughput.py's realistic config (starter + every playbook) and player
  mix, the copying decide the engine makes.

    python benchmarks/decide_instructions.py [--players 60] [--workload replay|decide|both]

Needs valgrind (Debian: `apt-get install valgrind`); slow (about 50x the plain run: a
minute or two per workload at the default size). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere


def _replay(players: int, work: bool) -> int:
    from datetime import UTC, datetime, timedelta

    from shared.backtest import replay
    from shared.backtest.config_items import starter_items
    from shared.backtest.history import day_bounds
    from shared.backtest.simulate import synthetic_history

    start = datetime(2026, 10, 1, tzinfo=UTC)
    history = synthetic_history(players, 30, "casino", seed=7, start=start)
    for player in history.players:
        player.events  # noqa: B018 - parsed here, in the setup, not in the counted work
    config = starter_items().build(1)
    _, until = day_bounds(start.date(), (start + timedelta(days=29)).date())
    return replay.run(history.players, config, until).steps if work else 0


def _decide(players: int, work: bool) -> int:
    import random

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from decide_throughput import player_events, realistic_config, run

    config = realistic_config()
    rng = random.Random(7)
    population = [player_events(i, 30, rng) for i in range(players)]
    return run(config, population) if work else 0


WORKLOADS = {"replay": _replay, "decide": _decide}


def _count(workload: str, players: int, work: bool) -> tuple[int, int]:
    """(instructions, decisions) of one child run under callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        child = [sys.executable, __file__, "--child", workload, str(players), str(int(work))]
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *child],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    steps = re.search(r"^decisions (\d+)$", done.stdout, re.MULTILINE)
    if found is None or steps is None:
        raise SystemExit(f"callgrind said nothing countable:\n{done.stderr[-2000:]}")
    return int(found.group(1)), int(steps.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=60)
    parser.add_argument("--workload", choices=(*WORKLOADS, "both"), default="both")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workload, players, work = args.child
        print(f"decisions {WORKLOADS[workload](int(players), work == '1')}")
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    for workload in WORKLOADS if args.workload == "both" else (args.workload,):
        total, steps = _count(workload, args.players, work=True)
        setup, _ = _count(workload, args.players, work=False)
        print(
            f"{workload}: {(total - setup) / steps:,.0f} instructions per decision "
            f"({steps:,} decisions, {args.players} players x 30 days; "
            f"{(total - setup) / 1e9:.3f} G of {total / 1e9:.3f} G counted, the rest setup)"
        )


if __name__ == "__main__":
    main()
