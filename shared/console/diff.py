"""Field-level difference between two versions of a config document (for the audit view)."""

from __future__ import annotations

from typing import Any

_ABSENT = object()


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Changed leaves as {"path", "before", "after"}; absent sides are omitted from the entry."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out += diff(before.get(key, _ABSENT), after.get(key, _ABSENT), sub)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += diff(b, a, f"{path}.{i}" if path else str(i))
        return out
    if before == after and type(before) is type(after):
        return []
    entry: dict[str, Any] = {"path": path or "(document)"}
    if before is not _ABSENT:
        entry["before"] = before
    if after is not _ABSENT:
        entry["after"] = after
    return [entry]
