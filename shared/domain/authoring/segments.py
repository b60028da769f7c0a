"""Segments: marketer-defined groups of players, written in the same pattern language.

A segment is a condition over the player document (`{"player": ...}`), re-evaluated on
every event that changes the player. Its membership lives on the player's state with
the time the player entered, and each transition produces exactly one
`engage.segment.entered` / `engage.segment.exited` event. Because the membership change and
the event are committed in the same transaction, a replay can neither repeat nor skip one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.domain.language.patterns import Matcher, compile_pattern

SegmentId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class Segment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    segment_id: SegmentId
    description: Annotated[str, Field(max_length=500)] = ""
    enabled: bool = True
    match: dict[str, Any]

    @field_validator("match")
    @classmethod
    def _player_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - {"player", "$or"})
        if unknown:
            # Membership must depend on who the player is, not on the event that happened.
            raise ValueError(f"a segment may only test 'player' (or use '$or'); found {unknown}")
        compile_pattern(value, path="match")
        return value


@dataclass(frozen=True)
class CompiledSegment:
    segment: Segment
    matcher: Matcher

    @property
    def segment_id(self) -> str:
        return self.segment.segment_id


def compile_segments(segments: Iterable[Segment]) -> tuple[CompiledSegment, ...]:
    return tuple(
        CompiledSegment(s, compile_pattern(s.match))
        for s in sorted(segments, key=lambda s: s.segment_id)
        if s.enabled
    )


@dataclass(frozen=True)
class Transition:
    segment_id: str
    entered: bool


def evaluate(
    segments: Iterable[CompiledSegment],
    doc: Mapping[str, Any],
    current: Mapping[str, datetime],
    at: datetime,
) -> tuple[dict[str, datetime], list[Transition]]:
    """New membership (segment -> entered at) and the transitions that led to it.

    A segment that no longer exists in config is left silently: deleting a definition is
    not the player leaving it, so no `exited` event is invented for it.
    """
    defined = {s.segment_id for s in segments}
    membership = {k: v for k, v in current.items() if k in defined}
    transitions: list[Transition] = []
    for seg in segments:
        inside = seg.matcher.matches(doc)
        if inside and seg.segment_id not in membership:
            membership[seg.segment_id] = at
            transitions.append(Transition(seg.segment_id, entered=True))
        elif not inside and seg.segment_id in membership:
            del membership[seg.segment_id]
            transitions.append(Transition(seg.segment_id, entered=False))
    return membership, transitions
