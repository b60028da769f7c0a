"""Which fields of the match document a configuration's patterns can look at.

A decision matches rules, segments, boards and mission steps against
`{"event": ..., "player": ...}`. Building every player fact (RFM, shares of play, days
since ...) for every event was the largest cost of a decision, while a realistic config
reads a dozen of them. The patterns are data, so the fields they can reach are known when
the config is compiled: the engine builds only those (benchmarks/decide_throughput.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The document's top-level objects; anything else a pattern names is never in it.
TOPS = ("event", "player")


@dataclass(frozen=True)
class DocumentFields:
    """Top-level keys of `event` and `player` that some pattern reads (None: all of them,
    e.g. a pattern comparing the whole object as a leaf)."""

    event: frozenset[str] | None = frozenset()
    player: frozenset[str] | None = frozenset()

    @classmethod
    def of(cls, patterns: Iterable[Mapping[str, Any] | None]) -> DocumentFields:
        wanted: dict[str, set[str] | None] = {top: set() for top in TOPS}
        for pattern in patterns:
            if pattern:
                _collect(pattern, wanted)
        event, player = (wanted[top] for top in TOPS)
        return cls(
            event=None if event is None else frozenset(event),
            player=None if player is None else frozenset(player),
        )

    @property
    def reads_rfm(self) -> bool:
        """Whether a pattern can read the player's RFM score (or the churn risk from it)."""
        return self.player is None or bool(self.player & {"rfm", "churn_risk"})


def _collect(pattern: Mapping[str, Any], wanted: dict[str, set[str] | None]) -> None:
    for key, value in pattern.items():
        if key == "$or":
            for branch in value if isinstance(value, list) else ():
                if isinstance(branch, Mapping):
                    _collect(branch, wanted)
        elif key in wanted:
            keys = wanted[key]
            if keys is None:
                continue
            if not isinstance(value, Mapping):
                wanted[key] = None  # the whole object is tested as a leaf
                continue
            _top_keys(value, keys)


def _top_keys(obj: Mapping[str, Any], keys: set[str]) -> None:
    for key, value in obj.items():
        if key == "$or":
            for branch in value if isinstance(value, list) else ():
                if isinstance(branch, Mapping):
                    _top_keys(branch, keys)
        else:
            keys.add(key)
