"""The starter config published on a fresh stack, loaded for real once and then copied.

`load_starter_config` validates and writes some 35 config items one request at a time, a
third of a console test's setup. Its result depends only on the starter files, the clock's
time and the actor, so the first stack of a test process gets the real load and every later
one a copy of the items it left (BatchWriteItem): the same table, item for item, in about
a tenth of the time. `tests/e2e/test_starter_config_copy.py` holds the copy to the load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.local.embedded import Embedded, load_starter_config

_LOADED: dict[tuple[datetime, str], tuple[list[dict[str, Any]], int]] = {}


def config_items(stack: Embedded) -> list[dict[str, Any]]:
    """Every item of the stack's config table, read consistently, in key order."""
    ddb = stack.runtime.clients.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.resources.config_table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def publish_starter(stack: Embedded, actor: str = "starter") -> int:
    """What `load_starter_config(stack.runtime.config, stack.clock.now(), actor)` does, on a
    stack whose config table is empty; returns the published version."""
    now = stack.clock.now()
    loaded = _LOADED.get((now, actor))
    if loaded is None:
        version = load_starter_config(stack.runtime.config, now, actor)
        _LOADED[(now, actor)] = (config_items(stack), version)
        return version
    items, version = loaded
    ddb = stack.runtime.clients.client("dynamodb")
    table = stack.resources.config_table
    for start in range(0, len(items), 25):
        requests: Any = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while requests:
            requests = ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems")
    return version
