"""The report SQL on Athena: start, poll, page through typed results (Stubber: moto keeps no
query results of its own)."""

from __future__ import annotations

from datetime import datetime

import boto3
import pytest
from botocore.stub import Stubber

from shared.adapters.athena_queries import AthenaQueries, AthenaQueryError


def _client():
    return boto3.client(
        "athena", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _columns(*types):
    return {"ColumnInfo": [{"Name": f"c{i}", "Type": t} for i, t in enumerate(types)]}


def _start(stub, sql="SELECT 1"):
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q1"},
        {
            "QueryString": sql,
            "WorkGroup": "wg",
            "QueryExecutionContext": {"Database": "engage_lake"},
        },
    )


def _state(stub, state, scanned=0, reason=None):
    status = {"State": state, **({"StateChangeReason": reason} if reason else {})}
    stub.add_response(
        "get_query_execution",
        {"QueryExecution": {"Status": status, "Statistics": {"DataScannedInBytes": scanned}}},
        {"QueryExecutionId": "q1"},
    )


def test_a_query_polls_until_it_succeeds_and_returns_typed_rows_across_pages():
    client = _client()
    with Stubber(client) as stub:
        _start(stub)
        _state(stub, "RUNNING")
        _state(stub, "SUCCEEDED", scanned=1234)
        meta = _columns("varchar", "bigint", "double", "timestamp")
        stub.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "ResultSetMetadata": meta,
                    "Rows": [
                        {"Data": [{"VarCharValue": h} for h in ("c0", "c1", "c2", "c3")]},
                        {
                            "Data": [
                                {"VarCharValue": "welcome"},
                                {"VarCharValue": "3"},
                                {"VarCharValue": "2.5"},
                                {"VarCharValue": "2026-11-27 10:00:00.000"},
                            ]
                        },
                    ],
                },
                "NextToken": "t2",
            },
            {"QueryExecutionId": "q1"},
        )
        stub.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "ResultSetMetadata": meta,
                    "Rows": [{"Data": [{"VarCharValue": "nudge"}, {}, {}, {}]}],
                }
            },
            {"QueryExecutionId": "q1", "NextToken": "t2"},
        )
        naps = []
        queries = AthenaQueries("wg", "engage_lake", client, sleep=naps.append)

        rows = queries.run("SELECT 1")

    assert rows == [
        ("welcome", 3, 2.5, datetime(2026, 11, 27, 10)),
        ("nudge", None, None, None),
    ]
    assert queries.bytes_scanned == 1234
    assert len(naps) == 1


def test_a_failed_query_raises_with_athenas_reason():
    client = _client()
    with Stubber(client) as stub:
        _start(stub)
        _state(stub, "FAILED", reason="bytes scanned limit exceeded")
        queries = AthenaQueries("wg", "engage_lake", client, sleep=lambda _: None)

        with pytest.raises(AthenaQueryError, match="bytes scanned limit exceeded"):
            queries.run("SELECT 1")
