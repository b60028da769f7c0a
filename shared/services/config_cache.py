"""In-memory config, reloaded only when the published version changes."""

from __future__ import annotations

import gc
from collections.abc import Callable

from shared.adapters.config_store import POLICY, RULE, SEGMENT, TEMPLATE, ConfigStore
from shared.domain.config import ConfigProblem, ConfigSnapshot, build_config
from shared.domain.game_config import GAME_KINDS


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
            rules, templates = self._store.raw_items(RULE), self._store.raw_items(TEMPLATE)
            policies, segments = self._store.raw_items(POLICY), self._store.raw_items(SEGMENT)
            game = {kind: self._store.raw_items(kind) for kind in GAME_KINDS}
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
