"""Cold import time of each handler module vs a bare `import boto3` (fresh interpreter each run).

Run: python benchmarks/cold_import.py [--runs 7]
Handlers build nothing at import time (clients are created on first invocation), and each
imports only its own Lambda's wiring: the services, adapters, domain and boto3 it runs are
imported by its first invocation (shared/wiring.py). So the handler rows are what the
INIT phase pays, and the "+ first-call imports" rows add what the first event then
imports: their sum is the whole cold start's import bill. Pydantic models build their
validators when first used (`defer_build`), so a model no event of the run needs is
never built; the first-call rows include none of that build time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What build_engine / build_dispatch (shared/wiring.py) import on the first invocation.
ENGINE_FIRST_CALL = (
    "boto3, shared.services.engine, shared.adapters.config_store, shared.adapters.dead_letters,"
    " shared.adapters.game_pools, shared.adapters.publisher, shared.services.config_cache,"
    " shared.observers, shared.settings"
)
DISPATCH_FIRST_CALL = (
    "boto3, shared.services.dispatch, shared.adapters.config_store, shared.adapters.email_ses,"
    " shared.adapters.player_store, shared.adapters.publisher, shared.adapters.scheduler,"
    " shared.adapters.secrets, shared.services.config_cache, shared.services.deliverers,"
    " shared.observers, shared.settings"
)
TARGETS = {
    "import boto3 (baseline)": "boto3",
    "functions.engine.handler": "functions.engine.handler",
    "  + first-call imports": f"functions.engine.handler, {ENGINE_FIRST_CALL}",
    "functions.dispatch.handler": "functions.dispatch.handler",
    "  + first-call imports ": f"functions.dispatch.handler, {DISPATCH_FIRST_CALL}",
    "functions.leaderboard_index.handler": "functions.leaderboard_index.handler",
    "  + first-call imports  ": "functions.leaderboard_index.handler, boto3, "
    "shared.leaderboard_wiring",
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
    print(f"{'module':38} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'x boto3':>8}")
    baseline = None
    for label, module in TARGETS.items():
        s = measure(module, args.runs)
        median = statistics.median(s)
        baseline = baseline or median
        ratio = median / baseline
        print(f"{label:38} {median:10.1f} {min(s):8.1f} {max(s):8.1f} {ratio:7.2f}x")


if __name__ == "__main__":
    main()
