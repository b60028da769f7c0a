"""The AWS backtest over S3 (moto): shards of Athena's gzip JSON lines in, one report out,
equal to the backtest of the same history in one process."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import timedelta

import pytest

from shared.adapters.backtest_files import S3BacktestFiles
from shared.backtest.backtest import backtest
from shared.backtest.config_items import ConfigItems
from shared.backtest.history import day_bounds
from shared.backtest.render import as_json
from shared.backtest.shards import input_prefix, reduce_shards, report_key, run_shard
from shared.backtest.simulate import synthetic_history
from shared.domain.outputs.lake import event_row
from shared.errors import NotFoundError
from tests.adapters.conftest import CONFIG_TABLE
from tests.builders import NUDGE_RULES, T0, template

BUCKET = "engage-lake-test"
RUN = "run-1"
SHARDS = 3
FIRST, LAST = T0.date(), T0.date() + timedelta(days=4)
PUBLISHED = ConfigItems(
    rules=[dict(r) for r in NUDGE_RULES],
    templates=[template("hello"), template("welcome", category="service")],
    policies=[{"policy_id": "engagement", "lifecycle": False}],
)
DRAFT = {"rules": [{**NUDGE_RULES[2], "then": [{"award_points": {"rate": "2", "of": "amount"}}]}]}


@pytest.fixture
def files(client):
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return S3BacktestFiles(BUCKET, s3), s3


def _unload(s3, history) -> None:
    """What Athena's UNLOAD writes: gzip JSON lines per shard of the player id."""
    lines: dict[int, list[str]] = {k: [] for k in range(SHARDS)}
    for player in history.players:
        shard = zlib.crc32(player.player_id.encode()) % SHARDS
        for e in player.events:
            row = event_row(
                {
                    "source": "casino.example",
                    "detail-type": e.detail_type,
                    "detail": e.model_dump(mode="json"),
                }
            )
            lines[shard].append(
                json.dumps(
                    {
                        "player_id": row.player_id,
                        "event_id": row.event_id,
                        "detail_type": row.detail_type,
                        "source": row.source,
                        "detail": row.detail,
                    }
                )
            )
    for shard, body in lines.items():
        s3.put_object(
            Bucket=BUCKET,
            Key=f"{input_prefix(RUN, shard)}part-0.gz",
            Body=gzip.compress("\n".join(body).encode()),
        )


def test_shards_and_reduce_give_the_report_one_process_gives(files):
    store, s3 = files
    history = synthetic_history(24, 5, "casino", seed=6, start=T0)
    _unload(s3, history)

    for shard in range(SHARDS):
        run_shard(store, PUBLISHED, DRAFT, RUN, shard, FIRST, LAST)
    summary = reduce_shards(store, PUBLISHED, DRAFT, RUN, FIRST, LAST)

    count_from, until = day_bounds(FIRST, LAST)
    draft = PUBLISHED.overlay(ConfigItems(rules=DRAFT["rules"])).build(2)
    whole = as_json(backtest(history, PUBLISHED.build(1), draft, count_from, until))
    report = store.get_json(report_key(RUN))
    assert summary["players"] == 24
    for side in ("published", "draft"):
        for figure in ("funnel", "sends_by_template", "suppressions", "points_by_rule"):
            assert report[side][figure] == whole[side][figure]
    assert report["changed_count"] == whole["changed_count"] > 0
    assert [c["player_id"] for c in report["changed"]] == [c["player_id"] for c in whole["changed"]]
    # The shards replayed the draft (rules only) for the players it meets, as one process does.
    assert report["draft"]["players_replayed"] == whole["draft"]["players_replayed"]
    assert report["published"]["players_replayed"] == whole["published"]["players_replayed"] == 24


def test_a_missing_result_file_is_a_not_found_error(files):
    store, _ = files

    with pytest.raises(NotFoundError):
        store.get_json("backtests/none/report.json")


def test_an_empty_shard_replays_nothing(files):
    store, _ = files

    assert run_shard(store, PUBLISHED, DRAFT, RUN, 7, FIRST, LAST) == {
        "shard": 7,
        "players": 0,
        "changed": 0,
    }


@pytest.fixture
def lambda_env(files, config_store, monkeypatch):
    from shared.local.embedded import load_starter_config

    load_starter_config(config_store, T0)
    monkeypatch.setenv("ENGAGE_LAKE_BUCKET", BUCKET)
    monkeypatch.setenv("ENGAGE_CONFIG_TABLE", CONFIG_TABLE)
    return files


def _invoke(event):
    from functions.backtest.handler import handler
    from shared.local.lambda_context import LambdaContext

    return handler(event, LambdaContext("engage-backtest"))


def test_the_lambda_checks_a_request_against_the_published_config(lambda_env):
    answer = _invoke(
        {"step": "check", "run": RUN, "from": "2026-11-24", "to": "2026-11-30", "draft": {}}
    )

    assert answer == {"from": "2026-11-24", "to": "2026-11-30", "draft": {}}


def test_the_lambda_refuses_a_draft_whose_rule_would_be_skipped(lambda_env):
    broken = {
        "rules": [
            {
                "rule_id": "x",
                "on": ["player.logged_in"],
                "then": [{"send": {"template": "nope", "channel": "email"}}],
            }
        ]
    }

    with pytest.raises(ValueError, match="no email template 'nope'"):
        _invoke(
            {"step": "check", "run": RUN, "from": "2026-11-24", "to": "2026-11-30", "draft": broken}
        )


def test_the_lambda_refuses_a_window_that_ends_before_it_starts(lambda_env):
    with pytest.raises(ValueError, match="is before from"):
        _invoke({"step": "check", "run": RUN, "from": "2026-11-30", "to": "2026-11-24"})


def test_the_lambda_replays_a_shard_and_reduces_under_the_published_config(lambda_env):
    store, s3 = lambda_env
    history = synthetic_history(6, 3, "casino", seed=2, start=T0)
    _unload(s3, history)
    window = {"run": RUN, "from": FIRST.isoformat(), "to": LAST.isoformat(), "draft": {}}

    for shard in range(SHARDS):
        _invoke({"step": "shard", "shard": shard, **window})
    summary = _invoke({"step": "reduce", **window})

    assert summary["players"] == 6
    assert summary["changed_count"] == 0  # an empty draft changes nobody
    assert store.get_json(report_key(RUN))["published"]["sends_by_template"]["welcome/email"] == 6
