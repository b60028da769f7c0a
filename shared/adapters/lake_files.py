"""The local lake: Parquet files under one folder, written and read with embedded DuckDB.

Layout (the same keys as the S3 lake): `<root>/type=<kind>/dt=YYYY-MM-DD/part-<uuid>.parquet`.
Rows are buffered and written on `flush()`, one file per (kind, day) touched, so a pump round
costs one DuckDB COPY per kind, not one per row.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from shared.domain.outputs.lake import (
    COLUMNS,
    KINDS,
    PARTITION_COLUMN,
    LakeKind,
    LakeRow,
    record,
)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"not a lake value: {type(value).__name__}")


def _columns_struct(kind: LakeKind) -> str:
    columns = {**COLUMNS[kind], PARTITION_COLUMN: "VARCHAR"}
    return "{" + ", ".join(f"'{name}': '{sql}'" for name, sql in columns.items()) + "}"


class LocalLake:
    """Appends lake rows as Parquet files under `root`; `connect()` gives a DuckDB over them."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._buffer: dict[LakeKind, list[dict[str, Any]]] = defaultdict(list)

    def add(self, rows: Iterable[LakeRow]) -> None:
        for row in rows:
            self._buffer[row.kind].append(record(row))

    def flush(self) -> int:
        """Write what is buffered; returns the number of rows written."""
        written = 0
        for kind in KINDS:
            rows = self._buffer.pop(kind, [])
            if rows:
                self._write(kind, rows)
                written += len(rows)
        return written

    def _write(self, kind: LakeKind, rows: list[dict[str, Any]]) -> None:
        target = self.root / f"type={kind}"
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as spool:
            for row in rows:
                spool.write(json.dumps(row, default=_json_default) + "\n")
        spool_path = Path(spool.name)
        try:
            names = ", ".join(COLUMNS[kind])
            with duckdb.connect() as db:
                db.execute(
                    f"COPY (SELECT {names}, {PARTITION_COLUMN} FROM read_json("  # noqa: S608 - our names
                    f"'{spool_path}', format='newline_delimited', "
                    f"columns={_columns_struct(kind)})) "
                    f"TO '{target}' (FORMAT parquet, COMPRESSION zstd, "
                    f"PARTITION_BY ({PARTITION_COLUMN}), APPEND, FILENAME_PATTERN 'part-{{uuid}}')"
                )
        finally:
            spool_path.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        return sorted(self.root.glob("type=*/dt=*/*.parquet"))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with one view per lake kind (`events`, `decisions`, ...)."""
        db = duckdb.connect()
        attach_views(db, self.root)
        return db


def attach_views(db: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Define `events`, `decisions`, `deliveries` over the files (empty tables if none yet)."""
    for kind in KINDS:
        pattern = root / f"type={kind}" / "*" / "*.parquet"
        if any(root.glob(f"type={kind}/dt=*/*.parquet")):
            # Named columns only: the path's `type=` key is not a column on Athena either.
            names = ", ".join([*COLUMNS[kind], PARTITION_COLUMN])
            db.execute(
                f"CREATE OR REPLACE VIEW {kind} AS SELECT {names} FROM read_parquet("  # noqa: S608
                f"'{pattern}', hive_partitioning = true, hive_types = {{'dt': VARCHAR}}, "
                # Files written before a column was added read it as NULL.
                "union_by_name = true)"
            )
        else:
            columns = ", ".join(
                f"{name} {sql}"
                for name, sql in {**COLUMNS[kind], PARTITION_COLUMN: "VARCHAR"}.items()
            )
            db.execute(f"CREATE OR REPLACE TABLE {kind} ({columns})")
