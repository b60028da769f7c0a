"""The Lambda code asset: what it holds, that it runs on its own, and the Powertools pin.

Fast: stages the asset into a temporary folder, never synthesizes the stack. The handler
checks run in a fresh interpreter whose sys.path has the staged asset plus the venv's
third-party packages with tzdata removed, and whose tz search path is empty, as on a
Lambda image without a system tz database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

from infra.lambda_code import (
    POWERTOOLS_LAYER_RELEASES,
    content_digest,
    powertools_release,
    stage_runtime,
)
from tests.infra.conftest import cdk_json_context

HANDLER_MODULES = sorted(
    f"functions.{p.parent.name}.handler"
    for p in (Path(__file__).resolve().parents[2] / "functions").glob("*/handler.py")
)


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage_runtime(build_dir=tmp_path_factory.mktemp("asset") / "lambda_asset")


@pytest.fixture(scope="module")
def site_without_tzdata(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's site-packages as links, minus tzdata: only the asset can provide it."""
    site = Path(sysconfig.get_paths()["purelib"])
    linked = tmp_path_factory.mktemp("site")
    for entry in site.iterdir():
        if entry.name.lower().startswith("tzdata") or entry.suffix == ".pth":
            continue
        (linked / entry.name).symlink_to(entry)
    return linked


def run_isolated(script: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    prelude = textwrap.dedent(
        f"""
        import sys, zoneinfo
        sys.path[:0] = {[str(p) for p in paths]!r}
        zoneinfo.reset_tzpath(to=[])  # no system tz database, whatever this host has
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env |= {"PYTHONTZPATH": "", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x"}
    env |= {"AWS_SECRET_ACCESS_KEY": "x", "POWERTOOLS_METRICS_NAMESPACE": "Engage"}
    return subprocess.run(
        [sys.executable, "-S", "-c", prelude + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        check=False,
        timeout=120,
    )


def test_the_asset_holds_the_runtime_packages_and_tzdata_but_not_the_local_runtime(asset):
    top = sorted(p.name for p in asset.iterdir())
    assert top == ["events", "functions", "shared", "tzdata"]
    assert not (asset / "shared" / "local").exists()
    assert (asset / "tzdata" / "zoneinfo" / "Europe" / "Kyiv").is_file()
    assert not list(asset.rglob("__pycache__"))


def test_staging_twice_gives_the_same_bytes_so_the_asset_hash_is_stable(asset, tmp_path):
    again = stage_runtime(build_dir=tmp_path / "again")
    assert content_digest(again) == content_digest(asset)


def test_restaging_removes_what_no_longer_belongs_and_restores_what_was_changed(tmp_path):
    build = stage_runtime(build_dir=tmp_path / "asset")
    expected = content_digest(build)
    (build / "shared" / "stale.py").write_text("left over from an older synth")
    (build / "shared" / "local").mkdir()
    (build / "shared" / "local" / "cli.py").write_text("never shipped")
    (build / "events" / "models.py").write_text("edited by hand")
    stage_runtime(build_dir=build)
    assert content_digest(build) == expected


def test_every_handler_imports_from_the_asset_and_loads_the_assets_tzdata(
    asset, site_without_tzdata
):
    result = run_isolated(
        f"""
        import importlib, tzdata
        from zoneinfo import ZoneInfo
        for name in {HANDLER_MODULES!r}:
            importlib.import_module(name)
        assert tzdata.__file__.startswith({str(asset)!r}), tzdata.__file__
        print(ZoneInfo("Europe/Kyiv").key)
        try:
            import shared.local
        except ModuleNotFoundError:
            print("no shared.local")
        """,
        asset,
        site_without_tzdata,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Europe/Kyiv", "no", "shared.local"]


def test_the_engine_handler_applies_a_registration_with_a_time_zone_from_the_asset_alone(
    asset, site_without_tzdata
):
    result = run_isolated(
        """
        import json, types
        from datetime import timedelta
        from moto import mock_aws
        import boto3

        with mock_aws():
            ddb = boto3.client("dynamodb")
            from shared.adapters.board_items import add_board_index
            for name, extra in (("players", add_board_index), ("config", lambda k: k)):
                ddb.create_table(**extra({
                    "TableName": name,
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                }))
            dlq = boto3.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
            topic = boto3.client("sns").create_topic(Name="rg")["TopicArn"]
            from shared import wiring
            from shared.clock import SystemClock
            from shared.settings import EngineSettings
            settings = EngineSettings(player_table="players", config_table="config",
                                      dead_letter_queue_url=dlq, compliance_topic_arn=topic)
            wiring.install(engine=wiring.build_engine(settings, SystemClock(), wiring.AwsClients()))
            from functions.engine.handler import handler
            body = json.dumps({"source": "casino.example", "detail-type": "player.registered",
                               "detail": {"player_id": "p-1", "event_id": "reg-1",
                                          "occurred_at": "2025-03-14T09:26:53+02:00",
                                          "locale": "uk-UA", "time_zone": "Europe/Kyiv",
                                          "country": "UA"}})
            context = types.SimpleNamespace(function_name="engine", memory_limit_in_mb=256,
                                            invoked_function_arn="arn", aws_request_id="r-1")
            answer = handler({"Records": [{"messageId": "m-1", "body": body,
                                           "attributes": {}, "messageAttributes": {},
                                           "eventSource": "aws:sqs"}]}, context)
            parked = boto3.client("sqs").receive_message(QueueUrl=dlq).get("Messages", [])
            print(json.dumps({"failures": answer["batchItemFailures"], "parked": len(parked)}))
        """,
        asset,
        site_without_tzdata,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == '{"failures": [], "parked": 0}'


def test_the_cold_start_check_fails_loudly_when_no_tz_data_can_be_found(
    asset, site_without_tzdata, tmp_path
):
    without_tzdata = stage_runtime(build_dir=tmp_path / "bare")
    for path in sorted((without_tzdata / "tzdata").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (without_tzdata / "tzdata").rmdir()
    result = run_isolated("import functions.engine.handler", without_tzdata, site_without_tzdata)
    assert result.returncode != 0
    assert "TimeZoneDataMissing: no time-zone database" in result.stderr


def test_the_installed_powertools_is_the_release_inside_cdk_jsons_layer_version():
    layer_version = cdk_json_context()["powertools_layer_version"]
    assert version("aws-lambda-powertools") == powertools_release(layer_version)


def test_a_layer_version_without_a_known_release_is_refused_with_where_to_add_it():
    unknown = max(POWERTOOLS_LAYER_RELEASES) + 1
    with pytest.raises(KeyError, match="POWERTOOLS_LAYER_RELEASES"):
        powertools_release(unknown)
