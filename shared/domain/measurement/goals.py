"""A rule's conversion goal: which later event counts as the campaign having worked.

A goal is an event pattern in the rules' own language, tested on `{"event": <detail>}` of
events of the listed detail-types, and a window after the touch (a send of the rule) within
which a matching event counts. Attribution itself is in `attribution.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from events.models import DETAIL_MODELS
from shared.domain.basics.durations import IsoDuration
from shared.domain.language.patterns import Matcher, compile_pattern


def _known(value: list[str]) -> list[str]:
    unknown = [v for v in value if v not in DETAIL_MODELS]
    if unknown:
        raise ValueError(f"unknown detail-type {unknown}; known: {sorted(DETAIL_MODELS)}")
    return value


def _event_pattern(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - {"event", "$or"})
    if unknown:
        raise ValueError(f"goal.match may only test 'event' (or use '$or'); found {unknown}")
    compile_pattern(value, path="goal.match")
    return value


class Goal(BaseModel):
    """`{"on": ["wallet.deposit_succeeded"], "match": {"event": {...}}, "window": "P7D"}`."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    on: Annotated[list[str], Field(min_length=1, max_length=10), AfterValidator(_known)]
    match: Annotated[dict[str, Any] | None, AfterValidator(_event_pattern)] = None
    window: IsoDuration = timedelta(days=7)

    def matcher(self) -> Matcher | None:
        return compile_pattern(self.match, path="goal.match") if self.match else None

    def converts(self, detail_type: str, detail: dict[str, Any]) -> bool:
        """Whether an event of `detail_type` with `detail` reaches this goal."""
        if detail_type not in self.on:
            return False
        matcher = self.matcher()
        return matcher is None or matcher.matches({"event": detail})
