"""The published side of a backtest, kept for the next draft over the same history.

A marketer tries draft after draft against one published config over one window: the
published run is the same every time, and it is half of each backtest's work. So `engage
backtest` keeps it in `.engage/backtest-cache/` under a key of everything it depends on,
and the next backtest with that key replays the draft alone:

- the history, row by row (player, event id, type, source and the detail's text, as read
  from the lake): a late row, a new day inside the read span, anything else changes it;
- the published config's items, as canonical JSON, and the version it is built as;
- the counted window and the warm-up (both decide what is counted and from which state);
- the code: every `.py` and `.json` file of the `shared` and `events` packages, so a
  changed decision core never reads a side an older one computed;
- this module's format number.

Only a side that can be replayed apart from the other is kept: a published config with a
campaign budget is not (its pool is shared with the draft's run in one process, and the
explanations re-run players against that run's pool ledger, which is not kept).

What is kept is the figures (the tally) and the run's counts, never a state or an event.
They are pickled: the folder is the user's own working data, written only by this module,
and read back only under a key that names this code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.backtest.backtest import BacktestReport, Side, backtest
from shared.backtest.config_items import ConfigItems
from shared.backtest.history import History
from shared.backtest.replay import PoolLedger, RunResult, has_campaign_budget
from shared.domain.core.config import ConfigSnapshot

FORMAT = 1
_code: str | None = None
logger = logging.getLogger(__name__)


def code_digest() -> str:
    """A digest of the decision code: every .py and .json file of `shared` and `events`."""
    global _code
    if _code is None:
        import events
        import shared

        h = hashlib.sha256()
        for package in (shared, events):
            root = Path(next(iter(package.__path__)))
            for path in sorted(root.rglob("*")):
                if path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
                    h.update(str(path.relative_to(root.parent)).encode())
                    h.update(path.read_bytes())
        _code = h.hexdigest()
    return _code


def history_digest(history: History) -> str | None:
    """A digest of the rows a history was read from (None: it was not read from rows, e.g.
    a synthetic one, or its rows are parsed already; such a history is not cached)."""
    h = hashlib.sha256()
    for player in history.players:
        rows = player.rows
        if rows is None:
            return None
        h.update(b"\x1e" + player.player_id.encode())
        # In key order: the lake query returns a player's rows in no fixed order, and the
        # replay orders them by event time itself.
        for text in sorted("\x1d".join(str(v) for v in row) for row in rows):
            h.update(b"\x1f" + text.encode())
    return h.hexdigest()


def cache_key(
    published: ConfigItems,
    version: int,
    history: History,
    count_from: datetime,
    until: datetime,
    warmup: bool,
) -> str | None:
    rows = history_digest(history)
    if rows is None:
        return None
    h = hashlib.sha256(f"{FORMAT}|{code_digest()}|{rows}|{version}|".encode())
    h.update(json.dumps(asdict(published), sort_keys=True, default=str).encode())
    h.update(f"|{count_from.isoformat()}|{until.isoformat()}|{warmup}".encode())
    return h.hexdigest()


KEEP = 8  # files kept: a live lake changes the key with every new row


class PublishedCache:
    """Published sides in a folder, one file per key; the `keep` last written are kept."""

    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def load(self, key: str, config: ConfigSnapshot) -> Side | None:
        """The kept side for `key`, run under `config` (a compiled config is not kept: the
        key names its items); None if nothing is kept or what is kept cannot be read."""
        path = self._path(key)
        try:
            kept = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, keyed by this code
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        if not isinstance(kept, dict) or kept.get("format") != FORMAT:
            return None
        result = RunResult([], PoolLedger(), kept["steps"], kept["duplicates"])
        return Side("published", config, kept["tally"], result, kept["seconds"], cached=True)

    def store(self, key: str, side: Side) -> bool:
        """Keep `side` (False if it cannot be kept: its config shares a campaign pool)."""
        if has_campaign_budget(side.config):
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = {
            "format": FORMAT,
            "tally": side.tally,
            "steps": side.result.steps,
            "duplicates": side.result.duplicates,
            "seconds": side.seconds,
        }
        partial = self._path(key).with_suffix(".partial")
        partial.write_bytes(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(self._path(key))  # a reader never sees half a file
        kept_files = sorted(
            self.folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
        )
        for old in kept_files[self.keep :]:
            old.unlink(missing_ok=True)
        return True


def backtest_keeping_published(
    cache: PublishedCache | None,
    history: History,
    published_items: ConfigItems,
    published: ConfigSnapshot,
    draft: ConfigSnapshot,
    count_from: datetime,
    until: datetime,
    *,
    warmup: bool = True,
    **options: Any,
) -> BacktestReport:
    """`backtest` (options passed on), reading the published run from `cache` when an
    earlier backtest kept it under the same key, and keeping it there otherwise. The key
    is computed first: the replay parses the rows it digests. `cache` None: no caching."""
    key = None
    if cache is not None:
        key = cache_key(published_items, published.version, history, count_from, until, warmup)
    kept = cache.load(key, published) if cache is not None and key is not None else None
    report = backtest(history, published, draft, count_from, until, published_side=kept, **options)
    if cache is not None and key is not None and kept is None:
        try:
            cache.store(key, report.published)
        except OSError as exc:  # the report stands; only the next backtest is slower
            logger.warning("the published run could not be kept in %s: %s", cache.folder, exc)
    return report
