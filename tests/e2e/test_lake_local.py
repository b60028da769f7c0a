"""The local runtime writes the event lake as it runs; the demo story is the history."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from shared import wiring
from shared.adapters.lake_files import LocalLake
from shared.domain.outputs.lake import COLUMNS, looks_like_pii
from shared.local.demo import START, run_demo
from shared.local.embedded import Embedded


@pytest.fixture(scope="module")
def demo_lake(moto_server, tmp_path_factory) -> Iterator[LocalLake]:
    """The demo story played once for the module, with the lake on; tests only read it."""
    server, endpoint = moto_server
    lake = LocalLake(tmp_path_factory.mktemp("lake") / "lake")
    run_demo(out=lambda _: None, embedded=Embedded.on(server, endpoint, START), lake=lake)
    yield lake
    wiring.reset()


def test_the_demo_leaves_hive_partitioned_parquet_files_of_each_kind(demo_lake):
    kinds = {path.parent.parent.name for path in demo_lake.files()}

    assert kinds == {"type=events", "type=decisions", "type=deliveries"}
    assert all(path.parent.name.startswith("dt=") for path in demo_lake.files())


def test_no_column_of_any_lake_file_holds_an_email_or_a_phone_number(demo_lake):
    offenders = []
    for path in demo_lake.files():
        kind = path.parent.parent.name.removeprefix("type=")
        names = list(COLUMNS[kind])
        rows = duckdb.sql(f"SELECT {', '.join(names)} FROM read_parquet('{path}')").fetchall()
        for row in rows:
            offenders += [
                (path.name, name)
                for name, v in zip(names, row, strict=True)
                if v is not None and looks_like_pii(str(v))
            ]

    assert offenders == []


def test_a_redelivered_event_lands_as_identical_rows_that_distinct_collapses(demo_lake):
    # The queue (and Firehose) deliver at least once: the demo delivers one deposit twice.
    db = demo_lake.connect()

    copies = db.execute("SELECT count(*) FROM events WHERE event_id = 'dep-anna-1'").fetchone()
    distinct = db.execute(
        "SELECT count(*) FROM (SELECT DISTINCT * FROM events WHERE event_id = 'dep-anna-1')"
    ).fetchone()

    assert copies == (2,)
    assert distinct == (1,)


def test_every_accepted_registration_is_in_the_lake(demo_lake):
    db = demo_lake.connect()

    registered = db.execute(
        "SELECT count(DISTINCT event_id) FROM events WHERE detail_type = 'player.registered'"
    ).fetchone()

    assert registered == (4,)


def test_each_queued_email_has_a_delivery_outcome(demo_lake):
    db = demo_lake.connect()

    missing = db.sql(
        "SELECT s.row_id FROM decisions s LEFT JOIN deliveries d"
        " ON d.outbox_id = substr(s.row_id, 6)"
        " WHERE s.action = 'send' AND d.outbox_id IS NULL"
    ).fetchall()

    assert missing == []


def test_engage_report_prints_the_demos_campaign_figures_and_writes_html_with_charts(
    demo_lake, tmp_path, capsys
):
    from shared.local.cli import main

    code = main(["report", "--lake", str(demo_lake.root), "--out", str(tmp_path / "report")])

    out = capsys.readouterr()
    assert code == 0
    # Four players registered and got the welcome email; three of them then deposited.
    assert "welcome-email: reach 4; sends email 4; conversions 3" in out.out
    assert "... query campaign_reach" in out.err
    assert (tmp_path / "report" / "report.html").is_file()
    assert (tmp_path / "report" / "revenue_by_campaign.svg").is_file()


def test_engage_report_says_so_when_there_is_no_lake(tmp_path, capsys):
    from shared.local.cli import main

    code = main(["report", "--lake", str(tmp_path / "none")])

    assert code != 0
    assert "no lake files" in capsys.readouterr().err
