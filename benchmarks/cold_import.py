"""Cold import time of each handler module vs a bare `import boto3` (fresh interpreter each run).

Run: python benchmarks/cold_import.py [--runs 7]
Handlers build nothing at import time (clients are created on first invocation), so this is
what a cold start pays for our code before the first event is handled.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "import boto3 (baseline)": "boto3",
    "functions.engine.handler": "functions.engine.handler",
    "functions.dispatch.handler": "functions.dispatch.handler",
}
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def measure(module: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(
        f"Cold import, fresh interpreter per run, {args.runs} runs, Python {sys.version.split()[0]}"
    )
    print(f"{'module':32} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for label, module in TARGETS.items():
        s = measure(module, args.runs)
        print(f"{label:32} {statistics.median(s):10.1f} {min(s):8.1f} {max(s):8.1f}")


if __name__ == "__main__":
    main()
