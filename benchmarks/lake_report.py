"""Event lake figures: bytes per million events, the local report's time on one core, and
Athena's bytes scanned (and cost) per report query, estimated from the Parquet column sizes.

Run: python benchmarks/lake_report.py [events]   (default 1,000,000)
The history is synthetic: 50,000 players over 30 days; logins, rounds, deposits and
purchases, plus the decisions and deliveries a typical rule set leaves (a send for 1 event
in 10, a ledger line for 1 in 5, a suppression or holdout for 1 in 50).
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from shared.adapters.lake_files import LocalLake
from shared.domain.measurement.goals import Goal
from shared.domain.outputs.lake import COLUMNS, DecisionRow, DeliveryRow, EventRow, LakeRow
from shared.reports.figures import build_report
from shared.reports.queries import NAMES, sql

START = datetime(2026, 10, 1)
DAYS = 30
PLAYERS = 50_000
RULES = [f"rule-{i:02d}" for i in range(20)]
KINDS = [
    ("player.logged_in", 0.35),
    ("game.round_finished", 0.45),
    ("wallet.deposit_succeeded", 0.12),
    ("shop.purchase", 0.05),
    ("player.registered", 0.03),
]
ATHENA_PER_TB = 5.0
ATHENA_MIN_BYTES = 10 * 1024**2  # Athena bills at least 10 MB per query


def history(n: int, rng: random.Random) -> list[LakeRow]:
    rows: list[LakeRow] = []
    names, weights = zip(*KINDS, strict=True)
    for i in range(n):
        player = f"p-{rng.randrange(PLAYERS)}"
        kind = rng.choices(names, weights)[0]
        at = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        amount = (
            round(rng.uniform(5, 200), 2)
            if kind in ("wallet.deposit_succeeded", "shop.purchase")
            else None
        )
        detail: dict[str, object] = {
            "player_id": player,
            "event_id": f"e{i}",
            "occurred_at": at.isoformat() + "Z",
        }
        if amount:
            detail |= {"amount": amount, "currency": "EUR"}
        rows.append(
            EventRow(
                f"e{i}",
                player,
                kind,
                "bench",
                at,
                amount,
                "EUR" if amount else None,
                json.dumps(detail, separators=(",", ":")),
            )
        )
        roll = rng.random()
        rule = rng.choice(RULES)
        if roll < 0.10:
            rows.append(
                DecisionRow(
                    f"send:{i}",
                    player,
                    f"e{i}",
                    rule,
                    at,
                    "send",
                    channel=rng.choice(["email", "push", "inbox"]),
                    template=rule,
                    category="marketing",
                )
            )
            rows.append(
                DeliveryRow(
                    f"o{i}", player, f"e{i}", rule, at + timedelta(seconds=2), "email", rule, "done"
                )
            )
        elif roll < 0.30:
            rows.append(
                DecisionRow(
                    f"ledger:{i}",
                    player,
                    f"e{i}",
                    rule,
                    at,
                    "ledger",
                    category="earn",
                    points=rng.randrange(1, 100),
                )
            )
        elif roll < 0.32:
            action = rng.choice(["suppression", "held_out"])
            rows.append(
                DecisionRow(
                    f"audit:{i}",
                    player,
                    f"e{i}",
                    rule,
                    at,
                    action,
                    reason="control_group" if action == "held_out" else "no email consent",
                )
            )
    return rows


def athena_estimates(root: Path) -> list[tuple[str, int]]:
    """Per query: compressed bytes of the columns it names, over the files of its tables."""
    meta = (
        duckdb.connect()
        .execute(
            f"SELECT file_name, path_in_schema AS col, sum(total_compressed_size) AS bytes "
            f"FROM parquet_metadata('{root}/type=*/dt=*/*.parquet') GROUP BY ALL"
        )
        .fetchall()
    )
    sizes: dict[tuple[str, str], int] = {}
    for file_name, col, size in meta:
        found = re.search(r"type=(\w+)", file_name)
        assert found is not None
        kind = found.group(1)
        sizes[(kind, col)] = sizes.get((kind, col), 0) + int(size)
    out = []
    for name in NAMES:
        text = sql(
            name, date(2026, 10, 1), date(2026, 10, 30), goal_types=["wallet.deposit_succeeded"]
        )
        scanned = 0
        for kind, columns in COLUMNS.items():
            if re.search(rf"\b{kind}\b", text):
                scanned += sum(
                    sizes.get((kind, c), 0) for c in columns if re.search(rf"\b{c}\b", text)
                )
        out.append((name, scanned))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(13)
    print(f"generating {n:,} events (+ decisions, deliveries) ...", flush=True)
    rows = history(n, rng)
    with tempfile.TemporaryDirectory() as folder:
        lake = LocalLake(folder)
        began = time.perf_counter()
        for start in range(0, len(rows), 200_000):
            lake.add(rows[start : start + 200_000])
            lake.flush()
        write_s = time.perf_counter() - began
        by_kind: dict[str, int] = {}
        for path in lake.files():
            kind = path.parent.parent.name.removeprefix("type=")
            by_kind[kind] = by_kind.get(kind, 0) + path.stat().st_size
        total = sum(by_kind.values())
        counts: dict[str, int] = {k: sum(1 for r in rows if r.kind == k) for k in COLUMNS}
        print(f"wrote {len(rows):,} rows in {write_s:.1f} s ({len(lake.files())} files)")
        for kind, size in sorted(by_kind.items()):
            print(
                f"  {kind:10} {counts[kind]:>10,} rows {size / 1e6:8.1f} MB  ({size / counts[kind]:.1f} B/row)"
            )
        print(f"lake bytes per million events (all kinds): {total / n * 1e6 / 1e6:.1f} MB")

        db = duckdb.connect()
        db.execute("SET threads = 1")
        from shared.adapters.lake_files import attach_views

        attach_views(db, Path(folder))
        goals = {r: Goal(on=["wallet.deposit_succeeded"], window=timedelta(days=7)) for r in RULES}
        began = time.perf_counter()
        report = build_report(
            lambda q: db.execute(q).fetchall(), goals, date(2026, 10, 1), date(2026, 10, 30)
        )
        report_s = time.perf_counter() - began
        conversions = sum(c.conversions for c in report.campaigns.values())
        print(
            f"\nlocal report over {n:,} events, DuckDB on 1 thread: {report_s:.1f} s "
            f"({conversions:,} attributed conversions)"
        )

        print("\nAthena estimate per report query (30 days; columns read x compressed size):")
        total_cost = 0.0
        for name, scanned in athena_estimates(Path(folder)):
            billed = max(scanned, ATHENA_MIN_BYTES)
            cost = billed / 1e12 * ATHENA_PER_TB
            total_cost += cost
            print(f"  {name:24} {scanned / 1e6:8.2f} MB scanned  ${cost:.6f}")
        print(f"  whole report: ${total_cost:.4f} at $5/TB (10 MB minimum per query)")


if __name__ == "__main__":
    main()
