"""docs/console.md's API table names every /api route the console serves (so it cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROUTE = re.compile(r'@app\.(get|post|put|delete)\("(/api/[^"]*)"')


def _served() -> set[str]:
    routes = set()
    for module in ("api.py", "backtest_routes.py"):
        source = (REPO / "shared" / "console" / module).read_text(encoding="utf-8")
        for method, path in ROUTE.findall(source):
            routes.add(f"{method.upper()} {re.sub(r'<([a-z_]+)>', '{}', path)}")
    return routes


def _documented() -> set[str]:
    text = (REPO / "docs" / "console.md").read_text(encoding="utf-8")
    routes = set()
    for cell in re.findall(r"^\| (`[A-Z]+ /api[^|]*)\|", text, re.MULTILINE):
        # "`POST /api/x/{id}/enable` · `/disable`": a second path shares the first's method
        # and prefix up to its last segment.
        parts = re.findall(r"`([^`]+)`", cell)
        method, first = parts[0].split(" ", 1)
        for part in parts:
            if part.startswith("/") and not part.startswith("/api"):
                path = first.rsplit("/", 1)[0] + part
            elif " " in part:
                method, path = part.split(" ", 1)
            else:
                path = part
            path = re.sub(r"\{[a-zA-Z_]+\}", "{}", path.split("?", 1)[0])
            routes.add(f"{method} {path}")
    return routes


def test_every_console_api_route_is_in_the_docs_table_and_nothing_else():
    assert _served() == _documented()
