"""Audience export: a segment's consenting members, hashed for an ads platform, audited.

The rules of who is in and how contacts are hashed are in shared/domain/outputs/audience.py. This
service reads every player's state once (player_scan.py), builds the file, and records the
export (who, when, segment, format, how many, the file's SHA-256) before handing the file
back: an export nobody can account for never leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from shared.adapters.export_audit import ExportAuditLog, ExportRecord
from shared.clock import Clock
from shared.domain.core.state import PlayerState, stable_id
from shared.domain.outputs.audience import AudienceFormat, build_audience, render_audience, sha256
from shared.services.config_cache import ConfigCache


class UnknownSegment(ValueError):
    """The segment is not in the published config."""


@dataclass(frozen=True)
class Export:
    record: ExportRecord
    text: str


class PlayerStatesPort(Protocol):
    def states(self) -> Iterator[PlayerState]: ...


class AudienceExporter:
    def __init__(
        self, players: PlayerStatesPort, config: ConfigCache, audit: ExportAuditLog, clock: Clock
    ) -> None:
        self._players = players
        self._config = config
        self._audit = audit
        self._clock = clock

    def export(self, segment: str, platform: AudienceFormat, actor: str) -> Export:
        """Build, audit and return one export; raises UnknownSegment for a wrong name."""
        config = self._config.current()
        known = sorted(s.segment_id for s in config.segments)
        if segment not in known:
            raise UnknownSegment(f"segment: no segment {segment!r} is published; known: {known}")
        now = self._clock.now()
        audience = build_audience(
            segment, platform, self._players.states(), now, config.game.experiments
        )
        text = render_audience(audience)
        record = ExportRecord(
            export_id=stable_id(actor, segment, platform, now.isoformat()),
            actor=actor,
            at=now,
            segment=segment,
            format=platform,
            rows=len(audience.rows),
            members=audience.members,
            excluded=dict(sorted(audience.excluded.items())),
            file_sha256=sha256(text),
        )
        self._audit.record(record)
        return Export(record, text)
