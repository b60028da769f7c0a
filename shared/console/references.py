"""Which config items refer to which: pure, over the stored JSON bodies.

Used to refuse deleting or disabling an item that an enabled item still needs (publishing
would then refuse the referrer, silently blocking every later publish), and to draw the
journey view's edges. The walk is over the raw documents, so it covers every kind that
can hold an action (rules, timers, cascades, variants, mission rewards, wheel prizes,
store items, board prizes) without a list of paths to keep in step with the models.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shared.adapters.config_store import SEGMENT, TEMPLATE

# Keys whose string value names an item of a kind (`send.template` is handled with its
# channel, because template items are stored per channel and locale).
_NAMED = {"badge": "badge", "wheel": "wheel", "mission": "mission"}
# Pattern fields on `player` whose values are item ids (membership tests).
_PATTERN_LISTS = {"segments": SEGMENT, "badges": "badge"}


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to an item: templates by `<id>#<channel>` (any locale will do)."""

    kind: str
    item_id: str


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def refs_of(body: Mapping[str, Any]) -> set[Ref]:
    """Every item the document refers to."""
    found: set[Ref] = set()

    def walk(node: Any, in_player: bool) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n, in_player)
            return
        if not isinstance(node, Mapping):
            return
        template = node.get("template")
        if isinstance(template, str):
            channels = [node["channel"]] if isinstance(node.get("channel"), str) else []
            channels += [c for c in node.get("channels", []) if isinstance(c, str)]
            for channel in channels or ["email"]:
                found.add(Ref(TEMPLATE, f"{template}#{channel}"))
        for key, value in node.items():
            if key in _NAMED and isinstance(value, str):
                found.add(Ref(_NAMED[key], value))
            elif key == "spins" and isinstance(value, Mapping) and "wheel" in value:
                found.add(Ref("wheel", str(value["wheel"])))
            elif in_player and key in _PATTERN_LISTS:
                found.update(Ref(_PATTERN_LISTS[key], s) for s in _strings(value))
            else:
                walk(value, in_player or key == "player")

    walk(body, False)
    return found


def ref_of_item(kind: str, item_id: str) -> Ref:
    """The reference that points at a stored item (a template variant: its id#channel)."""
    if kind == TEMPLATE:
        return Ref(TEMPLATE, "#".join(item_id.split("#")[:2]))
    return Ref(kind, item_id)


def referrers(
    target: Ref, items: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[tuple[str, str]]:
    """(kind, id) of each enabled item that refers to `target`, sorted.

    `items` is {kind: {item id: body}}. A disabled referrer does not count: the engine
    ignores it, and publishing does not check it.
    """
    out = []
    for kind, bodies in items.items():
        for item_id, body in bodies.items():
            if body.get("enabled", True) is False:
                continue
            if target in refs_of(body) and (kind, item_id) != (target.kind, target.item_id):
                out.append((kind, item_id))
    return sorted(out)
