"""The Reports tab's sources: Athena (queries side by side, a run token across requests) and
DuckDB give the same figures; a slow report answers `running` and is picked up again.

The Athena client is a fake that runs each query on DuckDB over a local lake and answers in
Athena's own shapes (string cells, column types, paging), so the real `AthenaQueries`
adapter and the shared SQL are what is tested.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.athena_queries import AthenaQueries
from shared.adapters.lake_files import LocalLake
from shared.clock import FixedClock
from shared.console.reports import (
    AthenaReports,
    DuckDbReports,
    ReportFailed,
    ReportRequestError,
    report_range,
)
from shared.domain.measurement.goals import Goal
from shared.domain.outputs.lake import DecisionRow, EventRow
from shared.reports.rule_inputs import ReportRules

DAY = datetime(2026, 10, 5, 9)
GOALS = {"welcome": Goal(on=["wallet.deposit_succeeded"], window=timedelta(days=3))}


def _event(event_id: str, player: str, kind: str, at: datetime, amount: float | None = None):
    detail: dict[str, object] = {
        "player_id": player,
        "event_id": event_id,
        "occurred_at": at.isoformat(),
    }
    if amount is not None:
        detail["amount"] = amount
    return EventRow(
        event_id, player, kind, "test", at, amount, "EUR" if amount else None, json.dumps(detail)
    )


@pytest.fixture
def lake(tmp_path) -> LocalLake:
    lake = LocalLake(tmp_path / "lake")
    rows = []
    for n in range(6):
        player, at = f"p{n}", DAY + timedelta(hours=n)
        rows.append(_event(f"reg-{n}", player, "player.registered", at))
        rows.append(
            DecisionRow(
                f"send:{n}", player, f"reg-{n}", "welcome", at, "send", "email", "t", "marketing"
            )
        )
        rows.append(
            DecisionRow(
                f"ledger:{n}",
                player,
                f"reg-{n}",
                "welcome",
                at,
                "ledger",
                category="earn",
                points=50,
            )
        )
        if n % 2 == 0:
            rows.append(
                _event(
                    f"dep-{n}",
                    player,
                    "wallet.deposit_succeeded",
                    at + timedelta(hours=5),
                    20.0 + n,
                )
            )
    rows.append(DecisionRow("audit:h", "p9", "reg-9", "welcome", DAY, "held_out", reason="holdout"))
    lake.add(rows)
    lake.flush()
    return lake


_TYPES = {"BIGINT": "bigint", "HUGEINT": "bigint", "INTEGER": "integer", "DOUBLE": "double"}


class FakeAthena:
    """start/batch_get/get_query_execution/get_query_results over DuckDB; each query stays
    RUNNING for `polls_until_done` status reads, and `fail` names queries that fail."""

    def __init__(self, lake: LocalLake, polls_until_done: int = 0, fail: str = "") -> None:
        self._db = lake.connect()
        self._polls_until_done = polls_until_done
        self._fail = fail
        self.queries: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def start_query_execution(self, QueryString, WorkGroup, QueryExecutionContext):
        assert WorkGroup == "wg"
        assert QueryExecutionContext == {"Database": "engage_lake_test"}
        self.calls.append("start")
        query_id = str(uuid.uuid4())
        self.queries[query_id] = {"sql": QueryString, "polls": 0}
        return {"QueryExecutionId": query_id}

    def _execution(self, query_id: str) -> dict[str, Any]:
        query = self.queries[query_id]
        query["polls"] += 1
        if self._fail and f"-- {self._fail}" in "\n".join(query["sql"].splitlines()[:1]):
            status = {"State": "FAILED", "StateChangeReason": "HIVE_BAD_DATA: boom"}
        elif query["polls"] <= self._polls_until_done:
            status = {"State": "RUNNING"}
        else:
            status = {"State": "SUCCEEDED"}
        return {
            "QueryExecutionId": query_id,
            "Status": status,
            "Statistics": {"DataScannedInBytes": 1000},
        }

    def batch_get_query_execution(self, QueryExecutionIds):
        assert len(QueryExecutionIds) <= 50
        self.calls.append("poll")
        return {
            "QueryExecutions": [self._execution(q) for q in QueryExecutionIds],
            "UnprocessedQueryExecutionIds": [],
        }

    def get_query_execution(self, QueryExecutionId):
        return {"QueryExecution": self._execution(QueryExecutionId)}

    def get_query_results(self, QueryExecutionId, NextToken=None):
        # Athena pages one stored result; DuckDB may order an unordered GROUP BY differently
        # on every run, so the query runs once and its pages come from that one result.
        query = self.queries[QueryExecutionId]
        if "result" not in query:
            cursor = self._db.execute(query["sql"])
            query["result"] = (
                [d[0] for d in cursor.description],
                [_TYPES.get(str(d[1]), str(d[1]).lower()) for d in cursor.description],
                cursor.fetchall(),
            )
        names, kinds, rows = query["result"]

        def cell(value: Any) -> dict[str, str]:
            if value is None:
                return {}
            if isinstance(value, datetime):
                return {"VarCharValue": value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]}
            return {"VarCharValue": str(value)}

        # Two rows a page, the header first on the first page, as Athena pages.
        start = int(NextToken or 0)
        page = rows[start : start + 2]
        data = [{"Data": [cell(v) for v in row]} for row in page]
        if start == 0:
            data.insert(0, {"Data": [{"VarCharValue": n} for n in names]})
        answer: dict[str, Any] = {
            "ResultSet": {
                "Rows": data,
                "ResultSetMetadata": {
                    "ColumnInfo": [
                        {"Name": n, "Type": k} for n, k in zip(names, kinds, strict=True)
                    ]
                },
            }
        }
        if start + 2 < len(rows):
            answer["NextToken"] = str(start + 2)
        return answer


def _athena_reports(fake: FakeAthena, goals=GOALS, wait: float = 8.0) -> AthenaReports:
    return AthenaReports(
        AthenaQueries("wg", "engage_lake_test", fake),
        rules=lambda: ReportRules(goals),
        clock=FixedClock(datetime(2026, 10, 20, tzinfo=UTC)),
        wait_seconds=wait,
        sleep=lambda _: None,
    )


def test_athena_and_duckdb_give_the_same_report_and_athena_starts_every_query_before_polling(lake):
    fake = FakeAthena(lake, polls_until_done=2)

    athena = _athena_reports(fake).answer(None, None, None)
    local = DuckDbReports(lake.connect, lambda: ReportRules(GOALS)).answer(
        "2026-09-21", "2026-10-20", None
    )

    assert athena["status"] == local["status"] == "done"
    assert athena.pop("bytes_scanned") == 1000 * len(fake.queries)
    assert athena == local
    [welcome] = athena["campaigns"]
    assert welcome["reach"] == 6
    assert welcome["conversions"] == 3
    assert welcome["points_awarded"] == 300
    starts = fake.calls.index("poll")
    assert fake.calls[:starts] == ["start"] * len(fake.queries) == ["start"] * 15


def test_a_slow_report_answers_running_with_a_token_and_the_next_request_finishes_it(lake):
    fake = FakeAthena(lake, polls_until_done=2)
    reports = _athena_reports(fake, wait=0.0)

    first = reports.answer("2026-10-01", "2026-10-10", None)
    second = reports.answer("2026-10-01", "2026-10-10", first["run"])
    third = reports.answer("2026-10-01", "2026-10-10", second["run"])
    third.pop("bytes_scanned")

    assert first["status"] == second["status"] == "running"
    assert (first["done"], first["total"]) == (0, 15)
    assert third["status"] == "done"
    assert third["campaigns"][0]["reach"] == 6
    # The token carried the queries across requests: none was started twice.
    assert len(fake.queries) == 15


def test_a_token_for_another_range_or_other_goals_starts_the_report_again(lake):
    fake = FakeAthena(lake, polls_until_done=5)
    running = _athena_reports(fake, wait=0.0).answer("2026-10-01", "2026-10-10", None)

    _athena_reports(fake, wait=0.0).answer("2026-10-01", "2026-10-11", running["run"])
    assert len(fake.queries) == 30
    _athena_reports(fake, goals={}, wait=0.0).answer("2026-10-01", "2026-10-10", running["run"])
    assert len(fake.queries) == 30 + 12  # without goals there is no attribution to query


def test_a_failed_query_fails_the_report_with_athenas_reason(lake):
    fake = FakeAthena(lake, fail="Per campaign: the bonus it paid")

    with pytest.raises(ReportFailed, match="HIVE_BAD_DATA: boom") as failed:
        _athena_reports(fake).answer(None, None, None)
    assert failed.value.status == 502


@pytest.mark.parametrize(
    ("date_from", "date_to", "run", "why"),
    [
        ("2026-10-32", None, None, "ISO dates"),
        ("2026-10-10", "2026-10-01", None, "after"),
        ("2025-01-01", "2026-10-01", None, "at most 400 days"),
        (None, None, "bm90IGEgdG9rZW4", "not a report run token"),
        (None, None, "e30", "not a report run token"),
    ],
)
def test_a_bad_range_or_token_is_refused_with_why(lake, date_from, date_to, run, why):
    fake = FakeAthena(lake)
    with pytest.raises(ReportRequestError, match=why):
        _athena_reports(fake).answer(date_from, date_to, run)
    assert not fake.queries


def test_the_default_range_is_the_last_thirty_days_today_included():
    assert report_range(None, None, date(2026, 10, 30)) == (date(2026, 10, 1), date(2026, 10, 30))
