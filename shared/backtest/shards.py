"""The AWS backtest's two steps, over files in the lake bucket (docs/backtest.md, "At scale").

1. Athena UNLOADs the window's `events` rows as gzip JSON lines, partitioned by a shard of
   the player id (every event of a player in one shard): `backtests/<run>/input/shard=K/`.
2. `run_shard`, once per shard (a Distributed Map item): replay the shard under both
   configs, write its figures and its changed players to `backtests/<run>/results/`.
3. `reduce_shards`: add the shards' figures up into one report, `backtests/<run>/report.json`.

Players are independent, except that a campaign budget is one pool for everyone: a shard
replays only its players, so such a pool is counted per shard (the report says so).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, Protocol

from shared.backtest.backtest import BacktestReport, ChangedPlayer, Side, backtest
from shared.backtest.config_items import ConfigItems, parse_items
from shared.backtest.history import day_bounds, history_from_rows
from shared.backtest.outcome import PlayerOutcome, Tally, tally_from_json, tally_to_json
from shared.backtest.render import as_json
from shared.backtest.replay import PoolLedger, RunResult, has_campaign_budget

ROW_FIELDS = ("player_id", "event_id", "detail_type", "source", "detail")
SHARED_POOL_NOTE = (
    "a campaign budget is one pool for all players, but each shard replays its own players: "
    "budget exhaustion is approximate (replay locally with `engage backtest` for exact dates)"
)


class BacktestFiles(Protocol):
    """The lake bucket as the backtest steps use it (shared/adapters/backtest_files.py)."""

    def lines(self, prefix: str) -> Iterator[str]: ...
    def keys(self, prefix: str) -> list[str]: ...
    def put_json(self, key: str, body: Mapping[str, Any]) -> None: ...
    def get_json(self, key: str) -> dict[str, Any]: ...


def input_prefix(run: str, shard: int) -> str:
    return f"backtests/{run}/input/shard={shard}/"


def result_prefix(run: str) -> str:
    return f"backtests/{run}/results/"


def report_key(run: str) -> str:
    return f"backtests/{run}/report.json"


def _configs(published: ConfigItems, draft: Mapping[str, Any]) -> tuple[Any, Any]:
    return published.build(1), published.overlay(parse_items(draft, where="draft")).build(2)


def check_request(
    published: ConfigItems, draft: Mapping[str, Any], first: date, last: date
) -> dict[str, Any]:
    """The request, checked: dates in order and a draft that compiles with nothing skipped.
    Its answer (parsed dates written back) is what the state machine uses from then on."""
    if last < first:
        raise ValueError(f"to: {last} is before from: {first}")
    pub, new = _configs(published, draft)
    known = {str(p) for p in pub.problems}
    problems = [str(p) for p in new.problems if str(p) not in known]
    if problems:
        raise ValueError("draft: items that would be skipped: " + "; ".join(problems))
    return {"from": first.isoformat(), "to": last.isoformat(), "draft": dict(draft)}


def run_shard(
    files: BacktestFiles,
    published: ConfigItems,
    draft: Mapping[str, Any],
    run: str,
    shard: int,
    first: date,
    last: date,
) -> dict[str, Any]:
    """Replay one shard under both configs; write its result; return a small summary."""
    rows = []
    for line in files.lines(input_prefix(run, shard)):
        record = json.loads(line)
        rows.append(tuple(record.get(name) for name in ROW_FIELDS))
    rows.sort(key=lambda r: str(r[0]))
    history = history_from_rows(rows)
    pub, new = _configs(published, draft)
    count_from, until = day_bounds(first, last)
    report = backtest(history, pub, new, count_from, until)
    result = {
        "shard": shard,
        "players": report.players,
        "events": report.events,
        "unreplayable": report.unreplayable,
        "steps": {s.name: s.result.steps for s in (report.published, report.draft)},
        "seconds": {s.name: s.seconds for s in (report.published, report.draft)},
        # A draft of rules only is replayed for the shard's players it meets (scope.py).
        "players_replayed": {s.name: s.players_replayed for s in (report.published, report.draft)},
        "published": tally_to_json(report.published.tally),
        "draft": tally_to_json(report.draft.tally),
        "changed": [
            {"player_id": c.player_id, "differences": c.differences, "explanation": c.explanation}
            for c in report.changed
        ],
    }
    files.put_json(f"{result_prefix(run)}shard-{shard:05d}.json", result)
    return {"shard": shard, "players": report.players, "changed": len(report.changed)}


def reduce_shards(
    files: BacktestFiles,
    published: ConfigItems,
    draft: Mapping[str, Any],
    run: str,
    first: date,
    last: date,
) -> dict[str, Any]:
    """Add up every shard's result into the report (written beside them); its summary."""
    started = time.perf_counter()
    pub, new = _configs(published, draft)
    count_from, until = day_bounds(first, last)
    tallies = {name: Tally(count_from) for name in ("published", "draft")}
    steps = {"published": 0, "draft": 0}
    seconds = {"published": 0.0, "draft": 0.0}
    replayed = {"published": 0, "draft": 0}
    changed: list[ChangedPlayer] = []
    players = events = unreplayable = 0
    for key in sorted(files.keys(result_prefix(run))):
        part = files.get_json(key)
        players += int(part["players"])
        events += int(part["events"])
        unreplayable += int(part["unreplayable"])
        for name in ("published", "draft"):
            tallies[name].merge(tally_from_json(part[name]))
            steps[name] += int(part["steps"][name])
            seconds[name] += float(part["seconds"][name])
            replayed[name] += int(part["players_replayed"][name])
        changed += [
            ChangedPlayer(
                c["player_id"], PlayerOutcome(), PlayerOutcome(), c["differences"], c["explanation"]
            )
            for c in part["changed"]
        ]
    sides = []
    for name, config in (("published", pub), ("draft", new)):
        result = RunResult([], PoolLedger(), steps[name], 0)
        sides.append(
            Side(
                name,
                config,
                tallies[name],
                result,
                seconds[name],
                players_replayed=replayed[name],
            )
        )
    report = BacktestReport(
        count_from=count_from,
        until=until,
        players=players,
        events=events,
        published=sides[0],
        draft=sides[1],
        changed=sorted(changed, key=lambda c: c.player_id),
        unreplayable=unreplayable,
        notes=[SHARED_POOL_NOTE] if has_campaign_budget(pub) or has_campaign_budget(new) else [],
    )
    body = as_json(report)
    body["reduce_seconds"] = round(time.perf_counter() - started, 3)
    files.put_json(report_key(run), body)
    return {
        "report": report_key(run),
        "players": players,
        "events": events,
        "changed_count": len(changed),
        "published_funnel": body["published"]["funnel"],
        "draft_funnel": body["draft"]["funnel"],
    }
