"""Runs the report SQL on Athena: the AWS side of `shared.reports.figures.Executor`.

The workgroup (infra/constructs/lake.py) fixes the result location, its encryption and the
bytes-scanned cap, so a query names only the workgroup and the Glue database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.errors import QueryFailedError

FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
# BatchGetQueryExecution takes at most 50 ids.
BATCH = 50


class AthenaQueryError(QueryFailedError):
    """A query that Athena failed or cancelled, with Athena's reason."""


def _value(cell: dict[str, Any], kind: str) -> Any:
    text = cell.get("VarCharValue")
    if text is None:
        return None
    if kind in ("bigint", "integer", "smallint", "tinyint"):
        return int(text)
    if kind in ("double", "float", "real", "decimal"):
        return float(text)
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    return text


class AthenaQueries:
    """`run(sql) -> rows`, polling until the query ends."""

    def __init__(
        self,
        workgroup: str,
        database: str,
        client: Any,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 0.5,
        max_polls: int = 1200,
    ) -> None:
        self._workgroup = workgroup
        self._database = database
        self._athena = client
        self._sleep = sleep
        self._poll = poll_seconds
        self._max_polls = max_polls
        self.bytes_scanned = 0
        self._counted: set[str] = set()

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        query_id = self.start(sql)
        self._wait(query_id)
        return self.results(query_id)

    def start(self, sql: str) -> str:
        """Start `sql` and return its execution id without waiting for it."""
        started = self._athena.start_query_execution(
            QueryString=sql,
            WorkGroup=self._workgroup,
            QueryExecutionContext={"Database": self._database},
        )
        return str(started["QueryExecutionId"])

    def states(self, query_ids: list[str]) -> dict[str, str]:
        """The state of each query (QUEUED, RUNNING, SUCCEEDED, ...), 50 ids per call.

        A failed or cancelled one raises with Athena's reason; the bytes scanned by each
        query that succeeded are added to `bytes_scanned` once.
        """
        found: dict[str, str] = {}
        for i in range(0, len(query_ids), BATCH):
            answer = self._athena.batch_get_query_execution(
                QueryExecutionIds=query_ids[i : i + BATCH]
            )
            if answer.get("UnprocessedQueryExecutionIds"):
                bad = answer["UnprocessedQueryExecutionIds"][0]
                raise AthenaQueryError(
                    f"query {bad.get('QueryExecutionId')}: {bad.get('ErrorMessage', 'unknown')}"
                )
            for execution in answer["QueryExecutions"]:
                query_id = execution["QueryExecutionId"]
                found[query_id] = self._settle(query_id, execution)
        return found

    def _settle(self, query_id: str, execution: dict[str, Any]) -> str:
        state = str(execution["Status"]["State"])
        if state in FINAL and state != "SUCCEEDED":
            reason = execution["Status"].get("StateChangeReason", state)
            raise AthenaQueryError(f"query {query_id} {state.lower()}: {reason}")
        if state == "SUCCEEDED" and query_id not in self._counted:
            self._counted.add(query_id)
            self.bytes_scanned += int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        return state

    def _wait(self, query_id: str) -> None:
        for _ in range(self._max_polls):
            execution = self._athena.get_query_execution(QueryExecutionId=query_id)[
                "QueryExecution"
            ]
            if self._settle(query_id, execution) == "SUCCEEDED":
                return
            self._sleep(self._poll)
        raise AthenaQueryError(f"query {query_id} still running after {self._max_polls} polls")

    def results(self, query_id: str) -> list[tuple[Any, ...]]:
        """The rows of a query that succeeded, typed by Athena's column types."""
        rows: list[tuple[Any, ...]] = []
        token: str | None = None
        first = True
        while True:
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id}
            if token:
                kwargs["NextToken"] = token
            page = self._athena.get_query_results(**kwargs)
            kinds = [c["Type"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
            data = page["ResultSet"]["Rows"]
            # The first row of the first page is the header.
            for row in data[1:] if first else data:
                rows.append(
                    tuple(_value(cell, kind) for cell, kind in zip(row["Data"], kinds, strict=True))
                )
            first = False
            token = page.get("NextToken")
            if not token:
                return rows
