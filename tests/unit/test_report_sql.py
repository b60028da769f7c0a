"""The report SQL stays in the subset DuckDB and Athena (Trino) share."""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from shared.reports.queries import NAMES, sql

# Functions both engines have with the same meaning for how the queries use them
# (date_diff on DATE values counts whole days on both; see docs/reports.md).
COMMON = {
    "AND",
    "CASE",
    "CAST",
    "COALESCE",
    "COUNT",
    "DATEDIFF",
    "FLOOR",
    "IF",
    "MAX",
    "MIN",
    "OR",
    "SUM",
    "TIMESTAMP_TRUNC",
}


def _text(name: str) -> str:
    return sql(name, date(2026, 10, 1), date(2026, 10, 30), goal_types=["wallet.deposit_succeeded"])


@pytest.mark.parametrize("name", NAMES)
def test_each_report_query_parses_as_trino_sql(name):
    sqlglot.parse_one(_text(name), read="trino")


@pytest.mark.parametrize("name", NAMES)
def test_each_report_query_uses_only_functions_both_engines_share(name):
    used = {f.sql_name() for f in sqlglot.parse_one(_text(name), read="trino").find_all(exp.Func)}

    assert used <= COMMON, used - COMMON


@pytest.mark.parametrize("name", NAMES)
def test_each_report_query_reads_only_a_date_range_of_partitions(name):
    assert "dt BETWEEN '2026-10-01' AND '2026-10-30'" in _text(name)


def test_a_detail_type_that_could_break_the_quoting_is_refused():
    with pytest.raises(ValueError, match="not a detail-type"):
        sql("conversion_candidates", date(2026, 10, 1), date(2026, 10, 2), goal_types=["x' OR '1"])
