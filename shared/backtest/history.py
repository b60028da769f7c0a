"""A history to replay: each player's input events, in event-time order.

Read from the event lake (`events` rows, Hive-partitioned by the UTC day of event time), or
handed over in memory (a simulation). Only *inputs* are replayed: what operators, players and
the platform's edges (email feedback, unsubscribe, wheel spins and store purchases made
through the player API, leaderboard prizes) sent. What the engine derived from its own
decisions (timer fires, tier/segment/lifecycle/badge/mission events, RG alerts) is dropped,
because the replay makes its own: under a draft those may differ, which is the point.

The lake holds no contact data: a redacted email or phone comes back as a placeholder (so a
replay still knows the player gave one, and consent and address gates work as they did);
a redacted birth date is dropped (birthday timers cannot be replayed, docs/backtest.md).
A row that still does not meet the event contract is reported with its reason, not guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from events.models import DETAIL_MODELS, ContractError, EventDetail, parse_detail
from shared.backtest import json_text
from shared.domain.outputs.lake import REDACTED
from shared.domain.run.decision import order_events

# Detail-types the engine derives from its own decisions: the replay regenerates them.
DERIVED_TYPES = frozenset(
    {
        "engage.timer.fired",
        "rg.alert",
        "engage.segment.entered",
        "engage.segment.exited",
        "engage.lifecycle.changed",
        "engage.tier.changed",
        "engage.badge.granted",
        "engage.mission.completed",
    }
)
PLACEHOLDER_EMAIL = "redacted@backtest.invalid"
PLACEHOLDER_PHONE = "+10000000000"
_DROPPED_WHEN_REDACTED = ("birth_date", "last_name", "name")


@dataclass(frozen=True)
class Unreplayable:
    """A lake row that could not become an event again, and why (field and reason)."""

    player_id: str
    event_id: str
    detail_type: str
    reason: str


Row = tuple[Any, ...]  # (player_id, event_id, detail_type, source, detail JSON)


class PlayerHistory:
    """One player's input events in event-time order.

    Read from the lake, a player holds its rows and parses them when `events` is first
    read: a parallel backtest forks its workers before that, so each player is parsed in
    the process that replays it (parsing is a fifth of a backtest's work, and parsed events
    cost more to send between processes than to parse again).
    """

    __slots__ = ("_events", "_rows", "_unreplayable", "player_id")

    def __init__(
        self, player_id: str, events: list[EventDetail] | None = None, *, rows: Sequence[Row] = ()
    ) -> None:
        self.player_id = player_id
        self._rows: list[Row] | None = list(rows) if events is None else None
        self._events: list[EventDetail] | None = events
        self._unreplayable: list[Unreplayable] = []

    @property
    def events(self) -> list[EventDetail]:
        if self._events is None:
            self._parse()
        assert self._events is not None
        return self._events

    @property
    def parsed(self) -> bool:
        return self._events is not None

    @property
    def rows(self) -> list[Row] | None:
        """The lake rows this player was read from, until they are parsed (None: built from
        events, or parsed already: parsing lets the rows go)."""
        return self._rows

    @property
    def size(self) -> int:
        """How many inputs: rows while not parsed, events after (for progress; no parsing)."""
        return len(self._events) if self._events is not None else len(self._rows or ())

    @property
    def unreplayable(self) -> list[Unreplayable]:
        """This player's rows that did not meet the event contract (parsing if not yet)."""
        if self._events is None:
            self._parse()
        return self._unreplayable

    def _parse(self) -> None:
        events: list[EventDetail] = []
        for player_id, event_id, detail_type, source, detail_text in self._rows or ():
            try:
                events.append(parse_row(player_id, event_id, detail_type, source, detail_text))
            except ContractError as exc:
                self._unreplayable.append(
                    Unreplayable(player_id, event_id, detail_type, exc.reason)
                )
        self._events, self._rows = order_events(events), None

    def __repr__(self) -> str:
        told = "not parsed" if self._events is None else f"{len(self._events)} events"
        return f"PlayerHistory({self.player_id!r}, {told})"


@dataclass
class History:
    """Players' input events, plus the rows that could not be replayed (never silently lost).

    Reading `event_count` or `unreplayable` parses every player (see PlayerHistory).
    """

    players: list[PlayerHistory] = field(default_factory=list)
    # Derived rows the replay regenerates instead (count by detail-type).
    regenerated: dict[str, int] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return sum(len(p.events) for p in self.players)

    @property
    def unreplayable(self) -> list[Unreplayable]:
        return [row for p in self.players for row in p.unreplayable]

    @classmethod
    def of(cls, events: Iterable[EventDetail]) -> History:
        """An in-memory history (a simulation, a test): grouped by player, event-time order."""
        by_player: dict[str, list[EventDetail]] = defaultdict(list)
        for event in events:
            by_player[event.player_id].append(event)
        return cls(
            players=[PlayerHistory(p, order_events(evs)) for p, evs in sorted(by_player.items())]
        )


def restore_placeholders(detail: dict[str, Any]) -> dict[str, Any]:
    """A scrubbed lake detail made valid again: placeholders for contact data it had."""
    out = dict(detail)
    if out.get("email") == REDACTED:
        out["email"] = PLACEHOLDER_EMAIL
    if out.get("phone") == REDACTED:
        out["phone"] = PLACEHOLDER_PHONE
    for name in _DROPPED_WHEN_REDACTED:
        if out.get(name) == REDACTED:
            del out[name]
    consents = out.get("consents")
    if isinstance(consents, dict):
        # Lake files written before consent flags were kept: unknown means no consent.
        out["consents"] = {k: v for k, v in consents.items() if v != REDACTED}
    return out


def parse_row(
    player_id: str, event_id: str, detail_type: str, source: str, detail_text: str
) -> EventDetail:
    """One lake `events` row -> its event; raises ContractError with the field and why."""
    try:
        detail = json_text.loads(detail_text)
    except ValueError as exc:
        raise ContractError(f"detail: not JSON ({exc})") from exc
    if not isinstance(detail, dict):
        raise ContractError("detail: not a JSON object")
    model = DETAIL_MODELS.get(detail_type)
    if model is not None:
        # Derived fields (a round's `outcome`) are in a dumped detail but are not inputs.
        for name in model.model_computed_fields:
            detail.pop(name, None)
    if not isinstance(source, str) or not 1 <= len(source) <= 256:
        raise ContractError("source: must be text of 1 to 256 characters")
    return parse_detail(source, str(detail_type), restore_placeholders(detail))


def read_lake(
    root: Path | str, until: date, since: date | None = None, players: Iterable[str] = ()
) -> History:
    """The lake's input events with event time on UTC days [since, until] (since None: all).

    Duplicates (the same event delivered twice reaches the lake twice) are kept once, as the
    engine applied them once.
    """
    from shared.adapters.lake_files import LocalLake

    lake = LocalLake(root)
    if not any(lake.root.glob("type=events/dt=*/*.parquet")):
        return History()
    where = ["dt <= ?"]
    params: list[Any] = [until.isoformat()]
    if since is not None:
        where.append("dt >= ?")
        params.append(since.isoformat())
    wanted = sorted(set(players))
    if wanted:
        where.append(f"player_id IN ({', '.join('?' for _ in wanted)})")
        params += wanted
    query = (
        "SELECT player_id, event_id, detail_type, source, any_value(detail) "  # noqa: S608
        f"FROM events WHERE {' AND '.join(where)} "
        "GROUP BY player_id, event_id, detail_type, source ORDER BY player_id"
    )
    with lake.connect() as db:
        rows = db.execute(query, params).fetchall()
    return history_from_rows(rows)


def history_from_rows(rows: Iterable[tuple[Any, ...]]) -> History:
    """Lake `events` rows (player_id, event_id, detail_type, source, detail), grouped by
    player in order -> the history to replay (derived rows dropped, bad rows reported)."""
    history = History()
    regenerated: dict[str, int] = defaultdict(int)
    for player_id, group in _by_player(list(rows)):
        inputs: list[Row] = []
        seen: set[str] = set()
        for row in group:
            event_id, detail_type = row[1], row[2]
            if detail_type in DERIVED_TYPES:
                regenerated[detail_type] += 1
                continue
            if event_id in seen:
                continue  # delivered twice, applied once
            seen.add(event_id)
            inputs.append(row)
        if inputs:
            # Parsed when first read (PlayerHistory): in a parallel backtest, by its worker.
            history.players.append(PlayerHistory(player_id, rows=inputs))
    history.regenerated = dict(regenerated)
    return history


def _by_player(rows: list[tuple[Any, ...]]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    current: str | None = None
    group: list[tuple[Any, ...]] = []
    for row in rows:
        if row[0] != current:
            if current is not None:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if current is not None:
        yield current, group


def lake_days(root: Path | str) -> tuple[date, date] | None:
    """The first and last UTC day the lake holds events for (None: no events)."""
    days = sorted(p.name.removeprefix("dt=") for p in Path(root).glob("type=events/dt=*"))
    if not days:
        return None
    return date.fromisoformat(days[0]), date.fromisoformat(days[-1])


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00 UTC, the day after last 00:00 UTC)."""
    from datetime import UTC, time, timedelta

    return (
        datetime.combine(first, time(0), UTC),
        datetime.combine(last + timedelta(days=1), time(0), UTC),
    )
