"""Pending changes: what differs between the live publication and the items stored now.

The live set is the item versions the current publication recorded. Against it every
stored item is live (same version), a draft (changed since), new (never published) or a
deletion waiting to be published. Each change carries its field diff and the people who
made it, so a marketer reviews exactly what a publish would make live, per item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.console.diff import diff
from shared.console.store import ConsoleConfigStore, StoredItem

ChangeKind = Literal["new", "draft", "deleted"]
Status = Literal["live", "draft", "new"]

LiveVersions = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class PendingChange:
    kind: str
    item_id: str
    change: ChangeKind
    live_version: int | None
    draft_version: int | None
    authors: list[str]
    at: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)


def live_versions(store: ConsoleConfigStore, kinds: Iterable[str]) -> dict[str, dict[str, int]]:
    """{kind: {item id: version}} the live publication made live.

    Nothing published yet: nothing is live. A version published outside the console (no
    record, e.g. `engage rules load`): the engine runs the items as stored, so they are
    all live as they are now.
    """
    version = store.published_version()
    kinds = list(kinds)
    if version == 0:
        return {k: {} for k in kinds}
    record = store.publication(version)
    # Like the engine (ConfigCache): a kind the record does not list (no record at all, or
    # a record older than the kind) is live as stored.
    return {
        k: dict(record.items[k])
        if record is not None and k in record.items
        else {i.item_id: i.version for i in store.items(k)}
        for k in kinds
    }


def status_of(item: StoredItem, live: Mapping[str, int]) -> Status:
    version = live.get(item.item_id)
    if version is None:
        return "new"
    return "live" if version == item.version else "draft"


def live_body(
    store: ConsoleConfigStore, item: StoredItem | None, kind: str, item_id: str, version: int
) -> dict[str, Any] | None:
    """The body the item had at its live version (the stored one if it is still that)."""
    if item is not None and item.version == version:
        return item.body()
    text = store.audited_body(kind, item_id, version)
    if text is None:
        return None
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else None


def pending_changes(
    store: ConsoleConfigStore, kinds: Iterable[str], live: LiveVersions
) -> list[PendingChange]:
    """Every item whose stored version is not the live one, with its diff and authors."""
    out: list[PendingChange] = []
    for kind in kinds:
        current = {i.item_id: i for i in store.items(kind)}
        live_kind = live.get(kind, {})
        for item_id in sorted(set(current) | set(live_kind)):
            item, version = current.get(item_id), live_kind.get(item_id)
            if item is not None and item.version == version:
                continue
            before = live_body(store, item, kind, item_id, version) if version else None
            after = item.body() if item is not None else None
            since = [e for e in store.audit(kind, item_id) if e.version > (version or 0)]
            authors = sorted({e.actor for e in since})
            if not authors and item is not None and item.updated_by:
                # Written outside the console (no audit entry): who the item says.
                authors = [item.updated_by]
            change: ChangeKind = "deleted" if item is None else ("draft" if version else "new")
            out.append(
                PendingChange(
                    kind=kind,
                    item_id=item_id,
                    change=change,
                    live_version=version,
                    draft_version=item.version if item is not None else None,
                    authors=authors,
                    at=since[0].at if since else (item.updated_at if item else None),
                    changes=diff(before or {}, after or {}),
                )
            )
    return out


def selected_set(
    store: ConsoleConfigStore,
    kinds: Iterable[str],
    live: LiveVersions,
    selected: set[tuple[str, str]],
) -> dict[str, list[StoredItem]]:
    """The item set a publish of only the `selected` changes makes live: the live items,
    with each selected change applied (a draft at its stored version, a new item added,
    a deletion removed); every other change stays a draft."""
    out: dict[str, list[StoredItem]] = {}
    for kind in kinds:
        current = {i.item_id: i for i in store.items(kind)}
        live_kind = live.get(kind, {})
        chosen: list[StoredItem] = []
        for item_id in sorted(set(current) | set(live_kind)):
            item, version = current.get(item_id), live_kind.get(item_id)
            if (kind, item_id) in selected:
                if item is not None:
                    chosen.append(item)
                continue
            if version is None:
                continue
            if item is not None and item.version == version:
                chosen.append(item)
                continue
            text = store.audited_body(kind, item_id, version)
            # No recorded body (written outside the console): the live version is kept as
            # an unreadable marker, which the consistency check reports by name.
            chosen.append(StoredItem(kind, item_id, text or "", version, None, None))
        out[kind] = chosen
    return out
