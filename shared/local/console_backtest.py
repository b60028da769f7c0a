"""The console's Backtest button, locally: the runtime's lake and published config, in memory.

Reads the lake files and the config table (the items the current publication made live),
lays the draft over them and replays; nothing is written, sent or scheduled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from shared.backtest.config_items import ConfigItems, DraftError, parse_items
from shared.backtest.history import day_bounds, lake_days, read_lake
from shared.backtest.published_cache import PublishedCache, backtest_keeping_published
from shared.backtest.render import as_json
from shared.console.errors import FieldError, Invalid
from shared.domain.game.game_config import GAME_KINDS
from shared.local.runtime import LocalRuntime
from shared.services.config_cache import published_items


def published_config(runtime: LocalRuntime) -> tuple[int, ConfigItems]:
    version = runtime.config.published_version()
    items = published_items(runtime.config, version)
    return version, ConfigItems(
        rules=items["rule"],
        templates=items["template"],
        policies=items["policy"],
        segments=items["segment"],
        game={kind: items[kind] for kind in GAME_KINDS},
    )


def _day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(
            "the request is not valid", [FieldError(name, "expected YYYY-MM-DD")]
        ) from exc


def local_backtest(
    runtime: LocalRuntime, document: Mapping[str, Any], date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    """The backtest's JSON summary over the runtime's lake (empty lake: an empty answer)."""
    lake = runtime.lake
    span = lake_days(lake.root) if lake is not None else None
    try:
        draft_items = parse_items(document, where="config")
    except DraftError as exc:
        raise Invalid("the draft is not valid", [FieldError("config", str(exc))]) from exc
    if lake is None or span is None:
        return {"from": None, "to": None, "players": 0, "events": 0, "changed_count": 0}
    first = _day(date_from, "from", span[0])
    last = _day(date_to, "to", span[1])
    if last < first:
        raise Invalid("the request is not valid", [FieldError("to", "is before 'from'")])
    version, published = published_config(runtime)
    draft = published.overlay(draft_items)
    pub, new = published.build(version), draft.build(version + 1)
    known = {str(p) for p in pub.problems}
    problems = [p for p in new.problems if str(p) not in known]
    if problems:
        raise Invalid(
            "the draft cannot run",
            [FieldError(f"{p.kind}.{p.item_id}", p.reason) for p in problems],
        )
    count_from, until = day_bounds(first, last)
    history = read_lake(lake.root, until=last)
    # The button is pressed draft after draft: the published run is kept as the CLI keeps
    # it, beside the lake (shared/backtest/published_cache.py).
    cache = PublishedCache(lake.root.parent / "backtest-cache")
    report = backtest_keeping_published(cache, history, published, pub, new, count_from, until)
    return as_json(report)


def local_explain(runtime: LocalRuntime, player_id: str, template: str | None) -> dict[str, Any]:
    """Why the player did (or didn't) get `template`, replayed over the runtime's lake."""
    from shared.backtest.explain import explain_from_lake, explanation_json

    lake = runtime.lake
    span = lake_days(lake.root) if lake is not None else None
    if lake is None or span is None:
        return {"player_id": player_id, "template": template, "known": False, "lines": []}
    version, published = published_config(runtime)
    told = explain_from_lake(lake.root, player_id, published.build(version), span[1], template)
    return explanation_json(told)
