"""What staging the Lambda code asset costs at synth time, and what the asset holds.

Run: python benchmarks/asset_staging.py [--runs 5]
Prints the first staging time and the median re-staging (sync) time, the file count and bytes (all, and the tzdata share), and
whether every run produced the same content digest (so the CDK asset hash is stable).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.lambda_code import content_digest, stage_runtime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    seconds, digests = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "lambda_asset"
        for _ in range(args.runs):
            started = time.perf_counter()
            stage_runtime(build_dir=build)
            seconds.append(time.perf_counter() - started)
            digests.add(content_digest(build))
        files = [p for p in build.rglob("*") if p.is_file()]
        tz = [p for p in files if p.relative_to(build).parts[0] == "tzdata"]
        print(f"first staging (empty build folder): {seconds[0] * 1000:.0f} ms")
        resync = statistics.median(seconds[1:]) if len(seconds) > 1 else float("nan")
        print(f"re-staging unchanged sources, median of {args.runs - 1}: {resync * 1000:.0f} ms")
        print(f"files: {len(files)} ({sum(p.stat().st_size for p in files) / 1e6:.2f} MB)")
        print(f"of which tzdata: {len(tz)} ({sum(p.stat().st_size for p in tz) / 1e6:.2f} MB)")
        print(f"same content digest every run: {len(digests) == 1}")


if __name__ == "__main__":
    main()
