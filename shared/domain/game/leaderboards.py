"""Leaderboards (tournaments): a time-boxed score per player from matching events.

A board listens to detail-types (`on`) filtered by a pattern (`match`, the rules' language),
scores each event (count, sum or best of a numeric field), and ranks players by score, then
by who reached it first (earlier wins), then by player id, so every rank is one player.
Its window is fixed (`starts_at`..`ends_at`) or recurs (day/week/month) in the board's time
zone; each occurrence is a *period* with a readable key ("2025-03-10" for the week starting
Monday 10 March). At the close, prizes go to ranks by `prizes` (rule actions).

Pure: the store keys (shard, sortable key) are computed here so the adapter and the engine
agree on them, and so they are unit-tested without DynamoDB.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from events.models import TimeZone, has_field
from shared.domain.authoring.rules import (
    Action,
    Condition,
    DetailTypes,
    Slug,
    check_reward_actions,
)
from shared.domain.basics.calendar_dates import calendar_window
from shared.domain.basics.durations import IsoDuration

SCORE_FIELDS = ("stake", "payout", "amount", "win_multiplier")
# Scores are kept to 4 decimal places, so the sortable key is exact and fixed-width.
SCORE_PLACES = Decimal("0.0001")
SCORE_SCALE = 10_000
SCORE_DIGITS = 20
MAX_SCORE = Decimal(10**SCORE_DIGITS - 1) / SCORE_SCALE
# reached_at is inverted in the key so that, read in descending order, earlier comes first.
MAX_EPOCH_MS = 10**13 - 1
PRIZE_DETAIL_TYPE = "engage.leaderboard.prize"
# A player's board score stays in their state this long after the period ends (my-rank of
# the last period, and the guard against paying a prize twice), then it is pruned.
KEEP_AFTER_CLOSE = timedelta(days=35)
# Entries are written from the player table's stream (adapters/board_index.py), so they
# trail the commit by its lag, about a second: the settle reads a closed period this much
# later than `end + grace`, leaving room for a retried batch.
INDEX_LAG = timedelta(minutes=1)
BOARD_RULE_PREFIX = "board."


class Window(BaseModel):
    """When a board counts: one fixed span, or every day/week/month in `time_zone`."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    every: Literal["day", "week", "month"] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    time_zone: TimeZone = "UTC"

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2025-03-10T00:00:00+00:00")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Window:
        fixed = self.starts_at is not None or self.ends_at is not None
        if fixed == (self.every is not None):
            raise ValueError("give either 'every' (day/week/month) or 'starts_at' and 'ends_at'")
        if fixed:
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("'starts_at' and 'ends_at' go together")
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at: must be after starts_at")
            if self.ends_at - self.starts_at > timedelta(days=366):
                raise ValueError("ends_at: a fixed board lasts at most a year")
        return self


class Score(BaseModel):
    """count: +1 per matching event; sum: + the field; max: the best single value."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["count", "sum", "max"] = "count"
    of: Literal["stake", "payout", "amount", "win_multiplier"] | None = None

    @model_validator(mode="after")
    def _field(self) -> Score:
        if (self.kind == "count") != (self.of is None):
            raise ValueError("'of' is required for sum and max, and not allowed for count")
        return self


class Prize(BaseModel):
    """What ranks `ranks[0]`..`ranks[1]` (inclusive) get at the close."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    ranks: Annotated[
        list[Annotated[int, Field(ge=1, le=10_000)]], Field(min_length=2, max_length=2)
    ]
    then: list[Action] = Field(min_length=1, max_length=10)

    @field_validator("ranks")
    @classmethod
    def _ordered(cls, value: list[int]) -> list[int]:
        if value[0] > value[1]:
            raise ValueError("ranks: [from, to] with from <= to")
        return value

    @field_validator("then")
    @classmethod
    def _paid_actions(cls, value: list[Any]) -> list[Any]:
        check_reward_actions(value, "prize")
        return value


class Leaderboard(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    board_id: Slug
    name: Annotated[str, Field(min_length=1, max_length=80)] = "Leaderboard"
    description: Annotated[str, Field(max_length=500)] = ""
    enabled: bool = True
    on: DetailTypes
    match: Condition = None
    score: Score = Field(default_factory=Score)
    window: Window
    # Late events for a period still count until this long after its end; then it settles.
    grace: IsoDuration = timedelta(minutes=5)
    # GSI partitions the board's writes are spread over (see docs/leaderboards.md).
    shards: Annotated[int, Field(ge=1, le=64)] = 16
    top_n: Annotated[int, Field(ge=1, le=1000)] = 100
    prizes: list[Prize] = Field(default_factory=list, max_length=20)

    @field_validator("on")
    @classmethod
    def _not_own_prizes(cls, value: list[str]) -> list[str]:
        if PRIZE_DETAIL_TYPE in value:
            raise ValueError(f"a board cannot score its own {PRIZE_DETAIL_TYPE} events")
        return value

    @field_validator("grace")
    @classmethod
    def _sane_grace(cls, value: Any) -> Any:
        if not timedelta(0) <= value <= timedelta(hours=24):
            raise ValueError("grace between PT0S and PT24H")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Leaderboard:
        field_name = self.score.of
        if field_name is not None:
            lacking = [t for t in self.on if not has_field(t, field_name)]
            if lacking:
                raise ValueError(f"score.of: {lacking} events have no {field_name!r}")
        taken: list[tuple[int, int]] = []
        for i, prize in enumerate(self.prizes):
            lo, hi = prize.ranks
            if any(lo <= b and a <= hi for a, b in taken):
                raise ValueError(f"prizes.{i}.ranks: overlaps another prize's ranks")
            taken.append((lo, hi))
        return self

    @property
    def prize_depth(self) -> int:
        """The deepest rank that wins something (0: no prizes)."""
        return max((p.ranks[1] for p in self.prizes), default=0)

    def prize_for(self, rank: int) -> Prize | None:
        return next((p for p in self.prizes if p.ranks[0] <= rank <= p.ranks[1]), None)


@dataclass(frozen=True)
class Period:
    """One occurrence of a board's window: [start, end) in UTC, and its key."""

    key: str
    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def period_at(window: Window, at: datetime) -> Period | None:
    """The period containing `at` (None: outside a fixed window)."""
    if window.every is None:
        assert window.starts_at is not None
        assert window.ends_at is not None
        start, end = window.starts_at.astimezone(UTC), window.ends_at.astimezone(UTC)
        key = start.strftime("%Y%m%dT%H%M")
        return Period(key, start, end) if start <= at < end else None
    # The same calendar window as rule limits and missions (cached per local day there);
    # a monthly board's key is the month alone.
    start, end, first = calendar_window(window.every, at, ZoneInfo(window.time_zone))
    return Period(first[:7] if window.every == "month" else first, start, end)


def period_key_problem(window: Window, key: str) -> str | None:
    """Why `key` cannot name a period of this window (None if it can): what period_at makes."""
    if window.every is None:
        assert window.starts_at is not None
        fixed = window.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M")
        return None if key == fixed else f"this board has one period, {fixed}"
    if window.every == "month":
        try:
            date.fromisoformat(f"{key}-01")
        except ValueError:
            return "a monthly board's period is YYYY-MM"
        return None if len(key) == 7 else "a monthly board's period is YYYY-MM"
    dated = "a daily or weekly board's period is a date, YYYY-MM-DD"
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return dated
    if len(key) != 10:
        return dated
    if window.every == "week" and day.weekday() != 0:
        return "a weekly board's period is the date of its Monday"
    return None


def closed_periods(window: Window, now: datetime, grace: timedelta, back: int = 3) -> list[Period]:
    """The latest `back` periods that ended at least `grace` before `now`, oldest first."""
    if window.every is None:
        period = period_at(window, window.starts_at)  # type: ignore[arg-type]
        return [period] if period is not None and period.end + grace <= now else []
    found: list[Period] = []
    at = now - grace
    current = period_at(window, at)
    assert current is not None
    probe = current.start - timedelta(seconds=1)
    while len(found) < back:
        period = period_at(window, probe)
        assert period is not None
        found.append(period)
        probe = period.start - timedelta(seconds=1)
    return sorted(found, key=lambda p: p.start)


@lru_cache(maxsize=65_536)  # asked on every score of a player: a hash each time otherwise
def shard_of(player_id: str, shards: int) -> int:
    """A stable shard for the player (sha256, not hash(): the same in every process)."""
    return int.from_bytes(hashlib.sha256(player_id.encode()).digest()[:8], "big") % shards


def quantize_score(value: Decimal) -> Decimal:
    return min(value, MAX_SCORE).quantize(SCORE_PLACES)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _epoch_ms(at: datetime) -> int:
    # Integer arithmetic: timestamp() * 1000 is a float and can land 1 ms short.
    return (at - _EPOCH) // _MS


def sort_key(score: Decimal, reached_at: datetime, player_id: str) -> str:
    """Sorts descending as the ranking: higher score, then earlier reached_at, then player.

    Fixed-width digits compare as strings; reached_at is inverted so earlier sorts higher.
    The last tie-break (same score in the same millisecond) is the player id, descending.
    """
    units = int(quantize_score(score) * SCORE_SCALE)
    return f"{units:0{SCORE_DIGITS}d}#{MAX_EPOCH_MS - _epoch_ms(reached_at):013d}#{player_id}"


@dataclass(frozen=True)
class Ranked:
    player_id: str
    score: Decimal
    reached_at: datetime


def parse_sort_key(key: str) -> Ranked:
    units, inverted, player_id = key.split("#", 2)
    reached = _EPOCH + (MAX_EPOCH_MS - int(inverted)) * _MS
    return Ranked(player_id, Decimal(int(units)) / SCORE_SCALE, reached)


def state_key(board_id: str, period: str) -> str:
    return f"{board_id}#{period}"


def prize_event_id(board_id: str, period: str, player_id: str) -> str:
    """One prize event per (board, period, player): the engine's marker dedupes reruns."""
    return f"prize.{board_id}.{period}.{player_id}"[:256]


class BoardScore(BaseModel):
    """A player's score in one period of one board (kept in their state)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    score: Decimal
    reached_at: datetime
    ends_at: datetime
    prize_rank: int | None = None


class BoardEntry(BaseModel):
    """What the store writes for a score change: the player's entry in the board's index."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    board_id: str
    period: str
    player_id: str
    score: Decimal
    reached_at: datetime
    shard: int
    # The entry lives on (TTL) a while after the close, for the results page and my rank.
    keep_until: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.board_id, self.period, self.player_id)

    @property
    def sort_key(self) -> str:
        return sort_key(self.score, self.reached_at, self.player_id)
