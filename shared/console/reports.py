"""The Reports tab's source: the same report locally (DuckDB, at once) and in AWS (Athena).

In AWS a report is 12 to 15 Athena queries, and one Athena query takes seconds; run one after
the other they would not fit API Gateway's 30 s. So the first request *starts* every query
of the report side by side and answers `running` with a run token; the page asks again with
the token until every query has succeeded, and the answer that finds them done assembles the
report from their results. Nothing is stored between requests: the token carries the query
ids, and Athena keeps the results (in the workgroup's result location, 7 days).

A token is only honoured for the report it was started for: if the date range or the rules'
goals changed since, the plan's digest differs and the queries start again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from shared.clock import Clock
from shared.console.errors import ConsoleError
from shared.errors import QueryFailedError
from shared.reports.figures import assemble_report, build_report, report_plan
from shared.reports.json_view import report_json
from shared.reports.rule_inputs import ReportRules

# The default range: the last 30 UTC days, today included.
DEFAULT_DAYS = 30
# The longest range one report may cover: partition pruning keeps a query to its days, so
# this bounds the bytes a click can scan (the workgroup also caps each query).
MAX_DAYS = 400
_QUERY_ID = re.compile(r"^[0-9a-f-]{36}$")


class ReportRequestError(ConsoleError):
    """A date range or run token the report cannot use (the message says which and why)."""


class ReportFailed(ConsoleError):
    """A query of the report failed on Athena (its reason is in the message)."""

    status = 502
    code = "report_failed"


def report_range(date_from: str | None, date_to: str | None, today: date) -> tuple[date, date]:
    """The (from, to) UTC days asked for, defaulting to the last `DEFAULT_DAYS` days."""
    try:
        last = date.fromisoformat(date_to) if date_to else today
        first = (
            date.fromisoformat(date_from) if date_from else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError as exc:
        raise ReportRequestError(f"'from'/'to' must be ISO dates (YYYY-MM-DD): {exc}") from exc
    if first > last:
        raise ReportRequestError(f"'from' ({first}) is after 'to' ({last})")
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportRequestError(f"a report covers at most {MAX_DAYS} days")
    return first, last


class ReportSource(Protocol):
    def answer(self, date_from: str | None, date_to: str | None, run: str | None) -> dict[str, Any]:
        """`{"status": "done", ...figures}` or `{"status": "running", "run": token, ...}`."""
        ...


class Queries(Protocol):
    """What the Athena source needs of `shared.adapters.athena_queries.AthenaQueries`."""

    bytes_scanned: int

    def start(self, sql: str) -> str: ...

    def states(self, query_ids: list[str]) -> dict[str, str]: ...

    def results(self, query_id: str) -> list[tuple[Any, ...]]: ...


def _digest(plan: Mapping[str, str]) -> str:
    text = "\n".join(f"{name}\n{sql}" for name, sql in sorted(plan.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode(token: Mapping[str, Any]) -> str:
    raw = json.dumps(token, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(run: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(run + "=" * (-len(run) % 4))
        token = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ReportRequestError("'run' is not a report run token") from exc
    queries = token.get("queries") if isinstance(token, dict) else None
    if not isinstance(queries, dict) or not all(
        isinstance(q, str) and _QUERY_ID.match(q) for q in queries.values()
    ):
        raise ReportRequestError("'run' is not a report run token")
    return dict(token)


@dataclass
class AthenaReports:
    """Starts a report's queries on Athena, and assembles the report when they are done."""

    queries: Queries
    rules: Callable[[], ReportRules]
    clock: Clock
    # How long one request waits for the queries before answering `running` (API Gateway
    # gives 30 s; a quick report is answered by the first request).
    wait_seconds: float = 8.0
    poll_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def answer(self, date_from: str | None, date_to: str | None, run: str | None) -> dict[str, Any]:
        first, last = report_range(date_from, date_to, self.clock.now().date())
        rules = self.rules()
        plan = report_plan(rules.goals, first, last)
        digest = _digest(plan)
        token = _decode(run) if run else None
        if token is None or token.get("digest") != digest or set(token["queries"]) != set(plan):
            token = {
                "digest": digest,
                "queries": {name: self.queries.start(sql) for name, sql in plan.items()},
            }
        ids: dict[str, str] = token["queries"]
        waited = 0.0
        while True:
            try:
                states = self.queries.states(list(ids.values()))
            except QueryFailedError as exc:
                raise ReportFailed(f"a report query failed, nothing was reported: {exc}") from exc
            done = sum(1 for s in states.values() if s == "SUCCEEDED")
            if done == len(ids):
                break
            if waited >= self.wait_seconds:
                return {
                    "status": "running",
                    "run": _encode(token),
                    "done": done,
                    "total": len(ids),
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                }
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds
        rows = {name: self.queries.results(query_id) for name, query_id in ids.items()}
        report = assemble_report(rows, rules.goals, first, last, budgets=rules.budgets)
        return {
            "status": "done",
            **report_json(report),
            "bytes_scanned": self.queries.bytes_scanned,
        }


@dataclass
class DuckDbReports:
    """The local source: the runtime's lake on embedded DuckDB, answered at once."""

    connect: Callable[[], Any]
    rules: Callable[[], ReportRules]

    def answer(self, date_from: str | None, date_to: str | None, run: str | None) -> dict[str, Any]:
        del run  # nothing runs in the background locally
        db = self.connect()
        first, last = db.execute("SELECT min(dt), max(dt) FROM events").fetchone() or (None, None)
        if first is None:
            empty: dict[str, Any] = {"campaigns": [], "kpis": {}, "retention": {}}
            return {"status": "done", "from": None, "to": None, **empty}
        # Locally the default range is the whole lake, not the last 30 days of a clock.
        start, end = report_range(
            date_from or first, date_to or last, date.fromisoformat(str(last))
        )
        rules = self.rules()
        report = build_report(
            lambda text: db.execute(text).fetchall(),
            rules.goals,
            start,
            end,
            budgets=rules.budgets,
        )
        return {"status": "done", **report_json(report)}
