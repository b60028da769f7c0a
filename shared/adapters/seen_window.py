"""Which events a player has had applied, kept in the state item instead of a marker each.

An `EVENT#<id>` marker is its own item in the commit's transaction: 2 write units for
every event, the largest single cost of gameplay traffic (docs/design.md, "DynamoDB
units"). Operator events are deduplicated here instead:

- the state item carries the 8-byte digests of the player's most recent applied events,
  with their event times (`SeenWindow.recent`, written in the same version-checked put as
  the state, so it is exact for the version read and a stale read fails the commit);
- when more than `RECENT_MAX` are kept, the oldest by event time move to a page item
  `SEEN#<UTC day>#<version>` in the same transaction (one item for several events, under
  the day of each event's time), and `paged_until` becomes the latest time ever paged;
  a page of digests the loaded window already held (the usual case: the events being
  applied are the newest) is put before the commit instead, on its own, under a key that
  names its content (`settled_page_sk`, `split_settled`): 1 write unit, not 2, and often
  no transaction;
- an event whose time is after `paged_until` cannot be on any page (a duplicate carries the
  time of the event it repeats), so a live, in-order event is checked against the state
  item alone; an older one (late, or a redelivery that has left the recent digests) reads
  the pages of its day, consistently.

Pages expire with the dedupe window, as markers do. An item written before this existed
has no window (`SeenWindow.legacy()`): its events' markers are read, and its first commit
records `legacy_before`, before which an event may still have a marker.

Pure: the encoding and the flush rule; PlayerStore does the reads and writes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Digests kept in the state item before the oldest move to a page, and how many of the
# newest stay after: each costs 12 bytes of the state item (a write unit per started KB),
# each page a transactional item (2 units), so a page every 7 events at most 96 bytes.
RECENT_MAX = 8
RECENT_KEEP = 2
DIGEST_BYTES = 8
PAGE_PREFIX = "SEEN#"
# A pre-window item's events may have markers until the first windowed commit plus this
# margin (an operator's clock a little ahead of ours).
LEGACY_MARGIN = timedelta(days=1)

_FORMAT = 1
_HEADER = struct.Struct(">BII")  # format, paged_until + 1 (0: none), legacy_before (0: none)
_ENTRY = struct.Struct(f">I{DIGEST_BYTES}s")  # event time (epoch s), digest
_MAX_EPOCH = 2**32 - 2
_LEGACY_ALL = 2**32 - 1


def digest(event_id: str) -> bytes:
    """The id as the window keeps it: 64 bits of BLAKE2b, so a false match between two of
    one player's events in the dedupe window is vanishingly rare (~n^2 / 2^65)."""
    return hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()


def epoch_of(when: datetime) -> int | None:
    """An event time as the window stores it, or None when it cannot (before 1970 or past
    2106: such an event keeps a marker instead)."""
    seconds = int(when.timestamp())
    return seconds if 0 <= seconds <= _MAX_EPOCH else None


def page_day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def page_prefix(day: str) -> str:
    return f"{PAGE_PREFIX}{day}#"


def page_sk(day: str, version: int) -> str:
    return f"{page_prefix(day)}{version:010d}"


def settled_page_sk(day: str, loaded_version: int, held_moved: int) -> str:
    """The key of a page that holds only digests the window stored at `loaded_version`
    already had. A flush moves the oldest entries of (window + events applied), so the held
    ones among them are the window's `held_moved` oldest, and this page holds those of
    `day`: the key names the page's content, and any attempt from that version that moves
    as many held digests builds the same page under it. That is what lets the page be put
    before the commit, on its own (PlayerStore): a commit that then fails leaves digests
    its window still holds, and a page only adds to what is known."""
    return f"{page_sk(day, loaded_version)}#{held_moved:02d}"


def split_settled(
    loaded: SeenWindow, pages: Mapping[str, bytes], loaded_version: int
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The pages of a flush from `loaded` (SeenWindow.applied) split into those of held
    digests only, by their `settled_page_sk`, and the others (holding an event being
    applied), by day: the first can be put before the commit, the others go in it."""
    held = {d for _, d in loaded.recent}
    held_moved = sum(1 for blob in pages.values() for d in page_digests(blob) if d in held)
    settled: dict[str, bytes] = {}
    others: dict[str, bytes] = {}
    for day, blob in sorted(pages.items()):
        if page_digests(blob) <= held:
            settled[settled_page_sk(day, loaded_version, held_moved)] = blob
        else:
            others[day] = blob
    return settled, others


def page_digests(blob: bytes) -> set[bytes]:
    return {blob[i : i + DIGEST_BYTES] for i in range(0, len(blob), DIGEST_BYTES)}


@dataclass(frozen=True)
class SeenWindow:
    """The dedupe record a state item carries (see the module docstring)."""

    recent: tuple[tuple[int, bytes], ...] = ()
    paged_until: int | None = None
    legacy_before: int | None = None

    @classmethod
    def legacy(cls) -> SeenWindow:
        """The window of an item written before windows: every event may have a marker."""
        return cls(legacy_before=_LEGACY_ALL)

    def knows(self, event_digest: bytes) -> bool:
        return any(d == event_digest for _, d in self.recent)

    def may_be_paged(self, epoch: int) -> bool:
        return self.paged_until is not None and epoch <= self.paged_until

    def may_have_marker(self, epoch: int) -> bool:
        return self.legacy_before is not None and epoch < self.legacy_before

    def applied(
        self, events: Sequence[tuple[int, bytes]], now: datetime
    ) -> tuple[SeenWindow, dict[str, bytes]]:
        """The window after `events` (epoch, digest) were applied at `now`, and the pages to
        write: UTC day -> concatenated digests.

        At most one page per event applied, so a commit never has more items than it would
        with a marker each: when the ids to move span more days, the oldest days move and
        the rest wait in the state item for a later commit.
        """
        legacy_before = self.legacy_before
        if legacy_before == _LEGACY_ALL:  # the first windowed commit of an old item
            legacy_before = epoch_of(now + LEGACY_MARGIN) or _MAX_EPOCH
        recent = sorted({*self.recent, *events})
        pages: dict[str, list[bytes]] = {}
        paged_until = self.paged_until
        if len(recent) > RECENT_MAX:
            moved = 0
            for epoch, event_digest in recent[:-RECENT_KEEP]:  # oldest first: days in order
                day = page_day(epoch)
                if day not in pages:
                    if len(pages) == len(events):
                        break
                    pages[day] = []
                pages[day].append(event_digest)
                moved += 1
            if moved:
                latest = recent[moved - 1][0]
                paged_until = latest if paged_until is None else max(paged_until, latest)
                recent = recent[moved:]
        window = SeenWindow(tuple(recent), paged_until, legacy_before)
        return window, {day: b"".join(sorted(ds)) for day, ds in pages.items()}

    def encode(self) -> bytes:
        paged = 0 if self.paged_until is None else self.paged_until + 1
        header = _HEADER.pack(_FORMAT, paged, self.legacy_before or 0)
        return header + b"".join(_ENTRY.pack(epoch, d) for epoch, d in self.recent)

    @classmethod
    def decode(cls, blob: bytes) -> SeenWindow:
        """A stored window; ValueError for a format this code does not know."""
        if len(blob) < _HEADER.size or blob[0] != _FORMAT:
            raise ValueError(f"unknown seen-window format {blob[:1]!r}")
        _, paged, legacy = _HEADER.unpack_from(blob)
        body = blob[_HEADER.size :]
        if len(body) % _ENTRY.size:
            raise ValueError("a seen window's entries are cut short")
        recent = tuple(_ENTRY.iter_unpack(body))
        return cls(recent, paged - 1 if paged else None, legacy or None)
