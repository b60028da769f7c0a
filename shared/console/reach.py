"""Reach estimate: how many current players a segment or a rule's condition holds for.

Pure: player states in, a count out. Each player is judged on the same document the
engine's conditions see (`match_document`: profile plus segments, lifecycle stage, RFM,
tier, "days since" facts measured now). A rule condition's `event` part depends on an
event that has not happened yet, so only its `player` part is counted, and the answer
says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.models import PlayerLoggedIn
from shared.domain.core.state import PlayerState
from shared.domain.language.patterns import compile_pattern
from shared.domain.run.decision import match_document

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class Reach:
    matched: int
    scanned: int
    # False when the scan stopped at its bound: `matched` is then a lower bound.
    complete: bool
    sample: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def player_condition(pattern: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The part of a condition reach can judge, and notes on what was left out."""
    notes = []
    kept = {k: v for k, v in pattern.items() if k != "event"}
    if "event" in pattern:
        notes.append("conditions on the event are not counted: they depend on the event")
    if "$or" in kept:
        notes.append("alternatives ($or) that test the event never hold here")
    return kept, notes


def player_document(state: PlayerState, now: datetime) -> dict[str, Any]:
    """The engine's condition document for the player as of `now`, around a neutral event
    (a login): "days since" facts are measured at `now`; no event condition is judged."""
    probe = PlayerLoggedIn(
        player_id=state.profile.player_id, event_id="console", occurred_at=now, platform="web"
    )
    return match_document(probe, state)


def estimate(
    pattern: Mapping[str, Any],
    states: Iterable[PlayerState],
    now: datetime,
    *,
    complete: bool = True,
    path: str = "match",
) -> Reach:
    """Count the players the pattern holds for (raises PatternError naming the field)."""
    kept, notes = player_condition(pattern)
    matcher = compile_pattern(kept, path=path)
    matched, scanned, sample = 0, 0, list[str]()
    for state in states:
        scanned += 1
        player_id = state.profile.player_id
        if matcher.matches(player_document(state, now)):
            matched += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(player_id)
    if not complete:
        notes.append(f"stopped after {scanned} players: the count is a lower bound")
    return Reach(matched, scanned, complete, sorted(sample), notes)
