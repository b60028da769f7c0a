"""Ready-made playbooks: rules, templates and segments shipped as editable config.

Each playbook is one JSON file in this package (`welcome.json`, `vip.json`, ...):
``{"name", "description", "rules": [...], "templates": [...], "segments": [...]}``, with
every id prefixed by the playbook's name so playbooks load side by side. Loading stores
them in the config table like any hand-written item (so the console can edit them later)
and publishes once. The stories are told in docs/playbooks.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources as package_files
from typing import Any, Protocol

from shared.domain.authoring.rules import ScheduleAction, walk_rule
from shared.domain.core.config import build_config
from shared.domain.players.engagement import AT_RISK_TIMER, LAPSED_TIMER

PLAYBOOK_NAMES = (
    "welcome",
    "failed-deposits",
    "loss-streak",
    "win-back-slots",
    "at-risk",
    "vip",
    "milestones",
    "shop",
)
"""Shipped playbooks, in the order they are told and loaded."""

_RESERVED_TIMERS = frozenset({AT_RISK_TIMER, LAPSED_TIMER})


class PlaybookError(ValueError):
    """A playbook is unknown, malformed, or clashes with another one."""


class ConfigWriter(Protocol):
    """What loading needs from the config store (shared.adapters.config_store.ConfigStore)."""

    def put_template(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None: ...
    def put_segment(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None: ...
    def put_rule(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None: ...
    def publish(self, *, expected: int | None = None) -> int: ...


@dataclass(frozen=True)
class Playbook:
    name: str
    description: str
    rules: tuple[dict[str, Any], ...]
    templates: tuple[dict[str, Any], ...]
    segments: tuple[dict[str, Any], ...]


def _read(name: str) -> Playbook:
    if name not in PLAYBOOK_NAMES:
        raise PlaybookError(f"unknown playbook {name!r}; known: {', '.join(PLAYBOOK_NAMES)}")
    text = package_files.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    # Plain floats, not Decimal: the config store writes Decimal as a string, which would
    # turn a numeric pattern bound such as 0.5 into text.
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("name") != name:
        raise PlaybookError(f"{name}.json: must be an object whose 'name' is {name!r}")
    return Playbook(
        name=name,
        description=str(raw.get("description", "")),
        rules=tuple(raw.get("rules", [])),
        templates=tuple(raw.get("templates", [])),
        segments=tuple(raw.get("segments", [])),
    )


def list_playbooks() -> list[Playbook]:
    """Every shipped playbook, in PLAYBOOK_NAMES order."""
    return [_read(name) for name in PLAYBOOK_NAMES]


def get_playbook(name: str) -> Playbook:
    return _read(name)


def check_playbooks(playbooks: Sequence[Playbook]) -> None:
    """Validate the playbooks as one config: every item, every reference, no clashes.

    Raises PlaybookError naming each problem (field paths as the config loader gives them).
    """
    problems: list[str] = []
    for kind, key, items in (
        ("rule", lambda r: r.get("rule_id"), [r for p in playbooks for r in p.rules]),
        ("segment", lambda s: s.get("segment_id"), [s for p in playbooks for s in p.segments]),
        (
            "template",
            lambda t: (t.get("template_id"), t.get("channel", "email"), t.get("locale", "en")),
            [t for p in playbooks for t in p.templates],
        ),
    ):
        counts = Counter(key(item) for item in items)
        problems += [f"{kind} {k!r} is defined {n} times" for k, n in counts.items() if n > 1]
    for playbook in playbooks:
        for rule in playbook.rules:
            if not str(rule.get("rule_id", "")).startswith(playbook.name):
                problems.append(f"rule {rule.get('rule_id')!r}: id must start {playbook.name!r}")
    snapshot = build_config(
        0,
        [r for p in playbooks for r in p.rules],
        [t for p in playbooks for t in p.templates],
        segment_items=[s for p in playbooks for s in p.segments],
    )
    problems += [str(problem) for problem in snapshot.problems]
    # Timers are per player and named: two rules arming the same name would replace each
    # other's timer, and the engine's lifecycle timers are not for rules to touch.
    owner: dict[str, str] = {}
    for rule_id in sorted(r.get("rule_id", "") for p in playbooks for r in p.rules):
        compiled = snapshot.rules.get(rule_id)
        if compiled is None:
            continue
        for _, _, action in walk_rule(compiled.rule):
            if not isinstance(action, ScheduleAction):
                continue
            timer = action.schedule.timer
            if timer in _RESERVED_TIMERS:
                problems.append(f"rule {rule_id!r}: timer {timer!r} belongs to the lifecycle")
            elif owner.setdefault(timer, rule_id) != rule_id:
                problems.append(f"timer {timer!r} is armed by {owner[timer]!r} and {rule_id!r}")
    if problems:
        raise PlaybookError("; ".join(problems))


def load_playbooks(
    store: ConfigWriter,
    names: Iterable[str] | None = None,
    *,
    actor: str = "playbooks",
    now: datetime,
) -> int:
    """Validate, store and publish the named playbooks (all when `names` is None or empty).

    Everything is checked before anything is written, so a bad playbook stores nothing.
    Templates go first, then segments, then rules (a rule refers to both); the store
    validates each item again as it writes it. One publish at the end; returns its version.
    Items already in the config table with the same ids are replaced.
    """
    chosen = list(dict.fromkeys(names or PLAYBOOK_NAMES))
    playbooks = [_read(name) for name in chosen]
    check_playbooks(playbooks)
    for playbook in playbooks:
        for template in playbook.templates:
            store.put_template(template, actor=actor, now=now)
    for playbook in playbooks:
        for segment in playbook.segments:
            store.put_segment(segment, actor=actor, now=now)
    for playbook in playbooks:
        for rule in playbook.rules:
            store.put_rule(rule, actor=actor, now=now)
    return store.publish()


__all__ = [
    "PLAYBOOK_NAMES",
    "Playbook",
    "PlaybookError",
    "check_playbooks",
    "get_playbook",
    "list_playbooks",
    "load_playbooks",
]
