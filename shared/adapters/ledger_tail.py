"""A player's newest ledger lines, kept inside the state item until a page of them is full.

Most operator events award points (a playbook pays per round), and a ledger line of its own
was an item in every commit's transaction: 2 write units for the line, and 2 instead of 1
for the state item, because a transaction doubles every item in it. So the lines a commit
books go into the state item instead, inside its compressed JSON (state_codec.py), where
they share the state's rule ids, reasons and times and cost ~60-100 bytes each. Each line
has a booking number (`seq`, 0, 1, 2 ... per player, in booking order).

When a commit loads a tail of PAGE_LINES lines or more, it moves whole pages of them, the
oldest first, to page items `LEDGER#P#<seq of the page's first line, 10 digits>`, and the
state it writes starts its tail after them (`start`). Only lines of the tail *as loaded*
are paged: they were committed with an earlier version of the state, so they are facts
whatever becomes of this commit. That is why a page can be written with its own plain
put-if-absent before the state (1 write unit, not 2 in a transaction): if the commit then
fails, the page holds lines that are still in the stored tail, and readers take a page only
below the tail's `start` (state_codec.py reads both from the one state item). A retried or
racing commit builds the same page (same lines, same number) and finds it already there.

Pages start at multiples of PAGE_LINES, so the same lines give the same page keys however
the commits were batched. Reading the whole ledger = lines from items of the old
one-line-per-item format (`LEDGER#<time>#<id>`, written before this), the pages below
`start`, then the tail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain.core.state import LedgerEntry, stable_id

# Lines per page: a page is ~4 x 0.1-0.3 KB compressed, one write unit; a larger page
# would leave more lines in the state item between flushes and push it past 1 KB more often
# (measured in docs/design.md, "DynamoDB units").
PAGE_LINES = 4
PAGE_PREFIX = "LEDGER#P#"
LINES_ATTRIBUTE = "lines"
# The attribute on the state item naming the first line this commit booked (none: it booked
# no line). The lake reads those lines from the state's stream record (lake_stream.py).
NEW_LINES_ATTRIBUTE = "ln"


# A line whose id is the one a rule's action `str(n)` derives (stable_id(player, event,
# rule, path), as DecisionContext.id_for makes it) keeps `n` under this key instead of the
# id: 32 hex digits no compressor shortens, ~17 of the state item's bytes per line in the
# tail. Other lines (nested actions, merges, expiries) keep their id.
PATH_KEY = "~a"
_DERIVABLE_PATHS = 10


def compact(entry: LedgerEntry) -> dict[str, Any]:
    """A line as the tail and pages keep it: no player id (the partition says it), no
    defaults, and no id where its action's number derives it."""
    line = entry.model_dump(mode="json", exclude_defaults=True, exclude={"player_id"})
    for n in range(_DERIVABLE_PATHS):
        if stable_id(entry.player_id, entry.event_id, entry.rule_id, str(n)) == entry.entry_id:
            del line["entry_id"]
            line[PATH_KEY] = n
            break
    return line


def line_id(line: dict[str, Any], player_id: str) -> str:
    """The entry id of a compact line (kept, or derived again)."""
    if PATH_KEY not in line:
        return str(line["entry_id"])
    return stable_id(player_id, line["event_id"], line["rule_id"], str(line[PATH_KEY]))


def entry_of(line: dict[str, Any], player_id: str) -> LedgerEntry:
    data = {k: v for k, v in line.items() if k != PATH_KEY}
    data["entry_id"] = line_id(line, player_id)
    data["player_id"] = player_id
    return LedgerEntry.model_validate(data)


def ledger_page_sk(start: int) -> str:
    return f"{PAGE_PREFIX}{start:010d}"


def ledger_page_start(sk: str) -> int:
    return int(sk.removeprefix(PAGE_PREFIX))


@dataclass(frozen=True)
class LedgerTail:
    """Lines `start`, `start + 1`, ... not yet on a page (every line before `start` is)."""

    start: int = 0
    lines: tuple[dict[str, Any], ...] = ()

    @property
    def end(self) -> int:
        """The booking number the next line gets."""
        return self.start + len(self.lines)

    def paged(
        self, page_lines: int = PAGE_LINES
    ) -> tuple[list[tuple[int, list[dict[str, Any]]]], LedgerTail]:
        """Whole pages of the oldest lines, (first seq, lines) each, and the tail left."""
        pages: list[tuple[int, list[dict[str, Any]]]] = []
        lines, start = self.lines, self.start
        while len(lines) >= page_lines:
            pages.append((start, list(lines[:page_lines])))
            lines, start = lines[page_lines:], start + page_lines
        return pages, LedgerTail(start, lines)

    def booked(self, entries: Iterable[LedgerEntry]) -> LedgerTail:
        return LedgerTail(self.start, self.lines + tuple(compact(e) for e in entries))

    def entries(self, player_id: str, since: int = 0) -> list[tuple[int, LedgerEntry]]:
        """(seq, line) for the tail's lines from booking number `since` on."""
        return [
            (self.start + i, entry_of(line, player_id))
            for i, line in enumerate(self.lines)
            if self.start + i >= since
        ]

    def to_json(self) -> dict[str, Any] | None:
        """What the state JSON holds under its tail key; None for an empty tail at 0."""
        if not self.lines and not self.start:
            return None
        return {"start": self.start, "lines": list(self.lines)}

    @staticmethod
    def from_json(data: dict[str, Any] | None) -> LedgerTail:
        if data is None:
            return LedgerTail()
        return LedgerTail(int(data["start"]), tuple(data["lines"]))


def page_text(lines: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(lines), ensure_ascii=False, separators=(",", ":"))
