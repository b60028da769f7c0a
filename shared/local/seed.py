"""`engage seed`: load the starter config into a deployed stack's config table.

A new stack has an empty config table, so the engine has no rule to apply and the first
event changes nothing visible. This puts the same starter templates, game items and rules
the local runtime starts with (validated on the way in, each versioned and published like
any other config change), using your own AWS credentials. It never overwrites: a table
that already has a published config is left alone (edit it in the console instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.adapters.config_store import ConfigStore
from shared.local.embedded import load_starter_config

CONFIG_TABLE_OUTPUT = "ConfigTableName"


class SeedError(RuntimeError):
    """The stack or its table cannot be seeded; the message says why."""


@dataclass(frozen=True)
class Seeded:
    config_table: str
    version: int


def config_table_of(cloudformation: Any, stack: str) -> str:
    """The config table's name, from the stack's `ConfigTableName` output."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as exc:
        raise SeedError(f"stack {stack!r}: {exc.response['Error']['Message']}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if CONFIG_TABLE_OUTPUT not in outputs:
        raise SeedError(f"stack {stack!r} has no {CONFIG_TABLE_OUTPUT} output: is it engage?")
    name: str = outputs[CONFIG_TABLE_OUTPUT]
    return name


def seed(
    dynamodb: Any,
    config_table: str,
    now: datetime,
    *,
    actor: str,
    progress: Callable[[str], None] = print,
) -> Seeded:
    """Load and publish the starter config, unless the table already has a published one."""
    store = ConfigStore(config_table, dynamodb)
    current = store.published_version()
    if current:
        raise SeedError(
            f"{config_table} already has published config version {current}: nothing loaded "
            "(change it in the console, or load playbooks there)"
        )
    progress(f"loading the starter config into {config_table} ...")
    version = load_starter_config(store, now, actor=actor)
    progress(f"published config version {version}")
    return Seeded(config_table=config_table, version=version)
