"""A config as raw items (what the config table holds), a draft laid over it, and its build.

A draft file is a JSON object with any of `rules`, `templates`, `policies`, `segments` and
`game` (kind -> items), or a bare JSON array of rules. Each item replaces the published item
with the same id (a rule `{"rule_id": "x", "enabled": false}`-style edit is a full item, as
the console saves it) or joins the config if the id is new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.game.game_config import GAME_KINDS

Item = dict[str, Any]
SECTIONS = ("rules", "templates", "policies", "segments", "game")


class DraftError(ValueError):
    """A draft or config file that cannot be read; the message names the place and why."""


def _template_key(item: Mapping[str, Any]) -> str:
    return "/".join(
        str(item.get(k) or d)
        for k, d in (("template_id", "?"), ("channel", "email"), ("locale", "en"))
    )


def _keyed(items: Sequence[Item], key: Any) -> dict[str, Item]:
    return {key(item): item for item in items}


def _id_of(field_name: str) -> Any:
    return lambda item: str(item.get(field_name, "?"))


@dataclass(frozen=True)
class ConfigItems:
    """Raw config items by kind; `build` validates and compiles them like the engine does."""

    rules: list[Item] = field(default_factory=list)
    templates: list[Item] = field(default_factory=list)
    policies: list[Item] = field(default_factory=list)
    segments: list[Item] = field(default_factory=list)
    game: dict[str, list[Item]] = field(default_factory=dict)

    def build(self, version: int) -> ConfigSnapshot:
        return build_config(
            version, self.rules, self.templates, self.policies, self.segments, self.game
        )

    def overlay(self, draft: ConfigItems) -> ConfigItems:
        """This config with the draft's items replacing (or joining) same-id items."""

        def merge(base: Sequence[Item], more: Sequence[Item], key: Any) -> list[Item]:
            merged = _keyed(base, key)
            merged.update(_keyed(more, key))
            return list(merged.values())

        game = {kind: list(items) for kind, items in self.game.items()}
        for kind, items in draft.game.items():
            game[kind] = merge(game.get(kind, []), items, _id_of(GAME_KINDS[kind][1]))
        return ConfigItems(
            rules=merge(self.rules, draft.rules, _id_of("rule_id")),
            templates=merge(self.templates, draft.templates, _template_key),
            policies=merge(self.policies, draft.policies, _id_of("policy_id")),
            segments=merge(self.segments, draft.segments, _id_of("segment_id")),
            game=game,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "templates": self.templates,
            "policies": self.policies,
            "segments": self.segments,
            "game": self.game,
        }


def parse_items(data: Any, where: str = "config") -> ConfigItems:
    """A config/draft document -> items; raises DraftError naming the field that is wrong."""
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, Mapping):
        raise DraftError(
            f"{where}: expected a JSON object with {list(SECTIONS)} or an array of rules"
        )
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise DraftError(f"{where}: unknown section(s) {unknown}; allowed: {list(SECTIONS)}")
    lists: dict[str, list[Item]] = {}
    for section in ("rules", "templates", "policies", "segments"):
        items = data.get(section, [])
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise DraftError(f"{where}.{section}: expected an array of objects")
        lists[section] = [dict(i) for i in items]
    game_raw = data.get("game", {})
    if not isinstance(game_raw, Mapping):
        raise DraftError(f"{where}.game: expected an object of kind -> array of items")
    game: dict[str, list[Item]] = {}
    for kind, items in game_raw.items():
        if kind not in GAME_KINDS:
            raise DraftError(f"{where}.game.{kind}: unknown kind; allowed: {sorted(GAME_KINDS)}")
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise DraftError(f"{where}.game.{kind}: expected an array of objects")
        game[kind] = [dict(i) for i in items]
    return ConfigItems(game=game, **lists)


def load_items(path: Path | str) -> ConfigItems:
    """Read a config or draft file (see the module docstring)."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError as exc:
        raise DraftError(f"{source}: no such file") from exc
    except ValueError as exc:
        raise DraftError(f"{source}: not valid JSON ({exc})") from exc
    return parse_items(data, where=source.name)


def starter_items() -> ConfigItems:
    """What `engage up` publishes on a fresh stack: the starter templates, game items, rules."""
    starter = resources.files("shared.starter")

    def read(name: str) -> list[Item]:
        items: list[Item] = json.loads(starter.joinpath(name).read_text(encoding="utf-8"))
        return items

    game = {
        kind: read(f"game/{kind}.json")
        for kind in GAME_KINDS
        if starter.joinpath("game", f"{kind}.json").is_file()
    }
    return ConfigItems(rules=read("rules.json"), templates=read("templates.json"), game=game)
