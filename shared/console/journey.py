"""The journey view: a set of rules as a flow graph, computed here and drawn by the page.

Pure: rule documents in, `{"nodes", "edges"}` out. Reading left to right:

    trigger (detail-type) -> condition (the rule and its `match`) -> wait (a timer and its
    `if`) -> action (send, points, badge, spins, offer, cascade step...)

Extra edges say how rules interact: `cancels` from a cancel_timer action to every timer of
that name, `next` between the steps of a cascade ("not opened within 2 h"), and `emits`
from an action to the trigger of an event it causes (a badge granted, a tier change),
which is how one rule sets off another. Each node names the item it comes from, so the
page links it to its editor. `column` is the node's depth, for a left-to-right layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from shared.adapters.config_store import RULE, TEMPLATE

# Events an action causes that rules can listen to (derived events of the platform).
_EMITS = {
    "grant_badge": "engage.badge.granted",
    "award_points": "engage.tier.changed",
    "join_mission": "player.mission_joined",
    "send": "engage.message.opened",
}


@dataclass
class Node:
    id: str
    kind: str  # trigger | condition | wait | action
    label: str
    detail: str = ""
    link: dict[str, str] | None = None
    column: int = 0
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str = "flow"  # flow | cancels | next | emits
    label: str = ""


_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}

if TYPE_CHECKING:
    from shared.console.reports import ReportSource


def _leaf(field: str, alternatives: Any) -> str:
    if not isinstance(alternatives, list):
        return f"{field} {json.dumps(alternatives, default=str)}"
    if all(not isinstance(a, dict | list) for a in alternatives):
        return f"{field} is {' or '.join(json.dumps(a, default=str) for a in alternatives)}"
    parts = []
    for a in alternatives:
        name, arg = next(iter(a.items())) if isinstance(a, dict) and len(a) == 1 else ("", a)
        if name == "numeric" and isinstance(arg, list):
            pairs = [f"{_OPS.get(arg[i], arg[i])} {arg[i + 1]}" for i in range(0, len(arg) - 1, 2)]
            parts.append(f"{field} {' and '.join(pairs)}")
        elif name == "prefix":
            parts.append(f"{field} starts with {arg!r}")
        elif name == "exists":
            parts.append(f"{field} is {'set' if arg else 'not set'}")
        elif name == "anything-but":
            parts.append(f"{field} is not {json.dumps(arg, default=str)}")
        else:
            parts.append(f"{field} {json.dumps(a, default=str)}")
    return " or ".join(parts)


def _condition(pattern: Mapping[str, Any] | None, prefix: str = "") -> str:
    """A condition in words: "player.loss_streak ≥ 3 and event.category is \"slots\""."""
    if not pattern:
        return "always"
    parts = []
    for key, value in pattern.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key == "$or" and isinstance(value, list):
            parts.append("(" + " | ".join(_condition(v, prefix) for v in value) + ")")
        elif isinstance(value, Mapping):
            parts.append(_condition(value, path))
        else:
            parts.append(_leaf(path, value))
    text = " and ".join(parts)
    return text if len(text) <= 160 else f"{text[:157]}..."


def _action_label(name: str, body: Mapping[str, Any]) -> tuple[str, dict[str, str] | None]:
    if name == "send":
        tpl = str(body.get("template"))
        channel = str(body.get("channel", "email"))
        return f"send {tpl} by {channel}", {"kind": TEMPLATE, "search": f"{tpl}#{channel}#"}
    if name == "award_points":
        if "points" in body:
            return f"+{body['points']} points", None
        return f"{body.get('rate')} points per {body.get('of')}", None
    if name == "grant_badge":
        return f"badge {body.get('badge')}", {"kind": "badge", "item_id": str(body.get("badge"))}
    if name == "grant_spins":
        wheel = str(body.get("wheel"))
        return f"{body.get('count', 1)} spins of {wheel}", {"kind": "wheel", "item_id": wheel}
    if name == "join_mission":
        mission = str(body.get("mission"))
        return f"join mission {mission}", {"kind": "mission", "item_id": mission}
    if name == "open_offer":
        return f"offer {body.get('offer')}: x{body.get('multiplier')} for {body.get('for')}", None
    if name == "cancel_timer":
        return f"cancel timer {body.get('timer')}", None
    return name, None


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.timers: dict[str, list[str]] = {}
        self.cancels: list[tuple[str, str]] = []
        self.emits: list[tuple[str, str]] = []

    def node(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def actions(self, rule_id: str, parent: str, actions: Any, path: str, column: int) -> None:
        if not isinstance(actions, list):
            return
        rule_link = {"kind": RULE, "item_id": rule_id}
        for i, action in enumerate(actions):
            if not isinstance(action, Mapping) or len(action) != 1:
                continue
            name, body = next(iter(action.items()))
            at = f"{path}.{i}"
            body = body if isinstance(body, Mapping) else {}
            if name == "schedule":
                timer = str(body.get("timer"))
                wait = body.get("after") or f"next {body.get('at_next')}"
                node_id = self.node(
                    Node(
                        f"wait:{rule_id}:{at}",
                        "wait",
                        f"wait {wait}",
                        f"timer {timer}; then if {_condition(body.get('if'))}",
                        rule_link,
                        column,
                    )
                )
                self.timers.setdefault(timer, []).append(node_id)
                self.edges.append(Edge(parent, node_id))
                self.actions(rule_id, node_id, body.get("then"), f"{at}.then", column + 1)
                continue
            if name == "cascade":
                previous = parent
                for n, channel in enumerate(body.get("channels", [])):
                    tpl = str(body.get("template"))
                    step = self.node(
                        Node(
                            f"action:{rule_id}:{at}.{n}",
                            "action",
                            f"send {tpl} by {channel}",
                            "cascade step",
                            {"kind": TEMPLATE, "search": f"{tpl}#{channel}#"},
                            column + n,
                        )
                    )
                    if n == 0:
                        self.edges.append(Edge(previous, step))
                    else:
                        label = f"not opened within {body.get('wait')}"
                        self.edges.append(Edge(previous, step, "next", label))
                    previous = step
                continue
            label, link = _action_label(str(name), body)
            node_id = self.node(
                Node(
                    f"action:{rule_id}:{at}", "action", label, str(name), link or rule_link, column
                )
            )
            self.edges.append(Edge(parent, node_id))
            if name == "cancel_timer":
                self.cancels.append((node_id, str(body.get("timer"))))
            if name in _EMITS:
                self.emits.append((node_id, _EMITS[str(name)]))


def journey(
    rules: Iterable[Mapping[str, Any]],
    counts: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The flow graph of these rules; `counts` (rule id -> figures) decorate rule nodes."""
    b = _Builder()
    chosen = sorted(rules, key=lambda r: (int(r.get("priority", 100)), str(r.get("rule_id"))))
    for rule in chosen:
        rule_id = str(rule.get("rule_id"))
        condition = b.node(
            Node(
                f"rule:{rule_id}",
                "condition",
                rule_id,
                f"if {_condition(rule.get('match'))}"
                + ("" if rule.get("enabled", True) else " (disabled)"),
                {"kind": RULE, "item_id": rule_id},
                1,
                dict((counts or {}).get(rule_id, {})),
            )
        )
        for detail_type in rule.get("on", []):
            trigger = b.node(Node(f"event:{detail_type}", "trigger", str(detail_type)))
            b.edges.append(Edge(trigger, condition))
        b.actions(rule_id, condition, rule.get("then"), "then", 2)
    for source, timer in b.cancels:
        for target in b.timers.get(timer, []):
            b.edges.append(Edge(source, target, "cancels", f"cancels {timer}"))
    for source, detail_type in b.emits:
        # Only where a chosen rule listens: otherwise the edge would lead nowhere.
        target = f"event:{detail_type}"
        if target in b.nodes:
            b.edges.append(Edge(source, target, "emits", f"may emit {detail_type}"))
    return {
        "nodes": [asdict(n) for n in b.nodes.values()],
        "edges": [asdict(e) for e in b.edges],
    }


def rule_counts(
    reports: ReportSource | None,
) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Per-rule figures for the rule nodes from the report (reach, sends, suppressions,
    conversions), and which days they cover; nothing where no event lake is wired, or while
    the report's queries still run (Athena: the Reports tab shows their progress)."""
    if reports is None:
        return {}, None
    report = reports.answer(None, None, None)
    if report.get("status") == "running":
        return {}, "the report is still running on Athena: ask again in a few seconds"
    counts = {
        str(c["rule_id"]): {
            "reach": c.get("reach", 0),
            "sends": sum(c.get("sends", {}).values()),
            "suppressed": sum(c.get("suppressions", {}).values()),
            "conversions": c.get("conversions", 0),
        }
        for c in report.get("campaigns", [])
    }
    source = (
        f"event lake, UTC days {report['from']} to {report['to']}" if report.get("from") else None
    )
    return counts, source
