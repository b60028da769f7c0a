"""`engage seed` loads the starter config into a deployed stack's table, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.config_store import ConfigStore
from shared.local.cli import main
from shared.local.seed import SeedError, config_table_of, seed
from shared.services.config_cache import ConfigCache

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def quiet(_: str) -> None:
    return None


def test_given_an_empty_config_table_when_seeding_then_the_starter_config_is_published(
    ddb, config_table
):
    seeded = seed(ddb, config_table, NOW, actor="platform", progress=quiet)

    assert seeded.version == 1
    loaded = ConfigCache(ConfigStore(config_table, ddb)).current()
    assert loaded.rules, "the engine would find the starter rules"
    assert loaded.templates


def test_given_a_published_config_when_seeding_then_nothing_is_overwritten(ddb, config_table):
    seed(ddb, config_table, NOW, actor="platform", progress=quiet)

    with pytest.raises(SeedError, match="already has published config version 1"):
        seed(ddb, config_table, NOW, actor="platform", progress=quiet)
    assert ConfigStore(config_table, ddb).published_version() == 1


def test_given_a_stack_name_then_the_table_comes_from_its_config_table_output(client, ddb):
    cloudformation = client("cloudformation")
    template: dict[str, Any] = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ConfigTableName": {"Value": "engage-prod-config"}},
    }
    cloudformation.create_stack(StackName="Engage-prod", TemplateBody=json.dumps(template))

    assert config_table_of(cloudformation, "Engage-prod") == "engage-prod-config"
    with pytest.raises(SeedError, match="'Nope'"):
        config_table_of(cloudformation, "Nope")


def test_the_cli_seeds_a_named_table_and_refuses_a_second_time(ddb, config_table, capsys):
    assert main(["seed", "--config-table", config_table, "--region", "eu-west-1"]) == 0
    assert "published config version 1" in capsys.readouterr().out

    assert main(["seed", "--config-table", config_table, "--region", "eu-west-1"]) == 2
    assert "already has published config" in capsys.readouterr().err
