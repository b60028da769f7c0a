"""In-memory config, reloaded only when the published version changes."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from shared.adapters.config_store import POLICY, RULE, SEGMENT, TEMPLATE, ConfigStore
from shared.domain.core.config import ConfigProblem, ConfigSnapshot, build_config
from shared.domain.game.game_config import GAME_KINDS


def published_items(store: ConfigStore, version: int) -> dict[str, list[dict[str, Any]]]:
    """Raw items by kind that publication `version` made live (what the engine compiles).

    What the publication made live, not what is stored now: a rule saved since is a draft
    until the next publish. Console publishes record the item versions of the kinds the
    console manages; config written by `engage seed` or `rules load`, and kinds the console
    does not manage (policies), are live as stored.
    """
    live = store.publication_items(version) if version else None

    def items(kind: str) -> list[dict[str, Any]]:
        if live is None or kind not in live:
            return store.raw_items(kind)
        return store.live_items(kind, live[kind])

    return {kind: items(kind) for kind in (RULE, TEMPLATE, POLICY, SEGMENT, *GAME_KINDS)}


class ConfigCache:
    """Holds the compiled config of the published version; one cheap read per batch."""

    def __init__(
        self, store: ConfigStore, on_problem: Callable[[ConfigProblem], None] | None = None
    ) -> None:
        self._store = store
        self._on_problem = on_problem
        self._snapshot: ConfigSnapshot | None = None

    def current(self) -> ConfigSnapshot:
        version = self._store.published_version()
        if self._snapshot is None or self._snapshot.version != version:
            items = published_items(self._store, version)
            rules, templates = items[RULE], items[TEMPLATE]
            policies, segments = items[POLICY], items[SEGMENT]
            game = {kind: items[kind] for kind in GAME_KINDS}
            # Compiling thousands of rules allocates many small objects; the cyclic GC would
            # spend most of the compile time scanning them (measured ~85% at 10k rules).
            collecting = gc.isenabled()
            gc.disable()
            try:
                snapshot = build_config(version, rules, templates, policies, segments, game)
            finally:
                if collecting:
                    gc.enable()
            # A bad item is skipped and reported, never fatal for the rest (invariant 5).
            for problem in snapshot.problems:
                if self._on_problem:
                    self._on_problem(problem)
            self._snapshot = snapshot
        return self._snapshot
