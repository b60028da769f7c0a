"""Runs the report SQL on Athena: the AWS side of `shared.reports.figures.Executor`.

The workgroup (infra/constructs/lake.py) fixes the result location, its encryption and the
bytes-scanned cap, so a query names only the workgroup and the Glue database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


class AthenaQueryError(RuntimeError):
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

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        query_id = self._athena.start_query_execution(
            QueryString=sql,
            WorkGroup=self._workgroup,
            QueryExecutionContext={"Database": self._database},
        )["QueryExecutionId"]
        self._wait(query_id)
        return self._results(query_id)

    def _wait(self, query_id: str) -> None:
        for _ in range(self._max_polls):
            execution = self._athena.get_query_execution(QueryExecutionId=query_id)[
                "QueryExecution"
            ]
            state = execution["Status"]["State"]
            if state in FINAL:
                if state != "SUCCEEDED":
                    reason = execution["Status"].get("StateChangeReason", state)
                    raise AthenaQueryError(f"query {query_id} {state.lower()}: {reason}")
                self.bytes_scanned += int(
                    execution.get("Statistics", {}).get("DataScannedInBytes", 0)
                )
                return
            self._sleep(self._poll)
        raise AthenaQueryError(f"query {query_id} still running after {self._max_polls} polls")

    def _results(self, query_id: str) -> list[tuple[Any, ...]]:
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
