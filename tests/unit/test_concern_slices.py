"""The decision core's concerns: each writes only its own slice of the player state, and
their imports form a DAG (docs/design.md, "The decision core, concern by concern").

Read from the source, not run: a write is an assignment, augmented assignment or `del`
whose target reaches into `ctx.state.<slice>` (directly or through a local name bound to
it or to `ctx.state`), or a container mutator (`append`, `pop`, `update`, ...) called on
one. A slice handed to a domain function that changes it in place (`earn(wallet, ...)`)
is not seen here; those functions are called only from their slice's own concern.
"""

from __future__ import annotations

import ast
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "shared" / "domain" / "run"

# Slice of PlayerState -> the module that may change it.
OWNERS = {
    "profile": "decide",  # the fold of every event (players/profile.apply_event)
    # Whose contacts the profile's are: the contact index's answer, kept on the profile.
    "profile.shared_contacts": "run_identity",
    "rg": "run_rg",
    "engagement": "run_engagement",
    "segments": "run_engagement",
    "shop": "run_shop",
    "timers": "run_timers",
    "timer_seq": "run_timers",
    "points_balance": "run_points",
    "wallet": "run_points",
    "tier": "run_tiers",
    "badges": "run_badges",
    "missions": "run_missions",
    "boards": "run_leaderboards",
    "rewards": "run_wheels",
    "experiments": "run_experiments",
    "budget_used": "run_budgets",
    "rule_fires": "run_rules",
    "delivery": "run_delivery",
    "contact_owners": "run_identity",
    "merge_source": "run_identity",
    "merged_from": "run_identity",
}
# A merge folds another player's whole state into this one: it writes every slice.
WHOLE_STATE = {("run_identity", "merge_in")}
MUTATORS = {
    "append",
    "extend",
    "insert",
    "pop",
    "popitem",
    "remove",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
}
STATE = "<state>"
# Slices whose fields have owners of their own ("profile.shared_contacts").
SPLIT = {name.split(".")[0] for name in OWNERS if "." in name}


def _is_ctx_state(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "state"
        and isinstance(node.value, ast.Name)
        and node.value.id == "ctx"
    )


def _slice_of(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The state slice an expression reaches into (None: not the state)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        inner = node.value
        if isinstance(node, ast.Attribute) and _is_ctx_state(inner):
            return node.attr
        if (
            isinstance(node, ast.Attribute)
            and isinstance(inner, ast.Name)
            and aliases.get(inner.id) == STATE
        ):
            return node.attr
        node = inner
    if isinstance(node, ast.Name):
        found = aliases.get(node.id)
        return None if found == STATE else found
    return None


def _aliases(fn: ast.FunctionDef) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign):
            continue
        pairs: list[tuple[ast.expr, ast.expr]] = []
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs += list(zip(target.elts, node.value.elts, strict=False))
            else:
                pairs.append((target, node.value))
        for target, value in pairs:
            if not isinstance(target, ast.Name):
                continue
            if _is_ctx_state(value):
                aliases[target.id] = STATE
            elif isinstance(value, ast.Attribute) and (found := _slice_of(value, {})):
                aliases[target.id] = found
    return aliases


def writes(source: str) -> set[tuple[str, str]]:
    """(function, slice) for every write to the state in `source`."""
    found: set[tuple[str, str]] = set()
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef):
            continue
        aliases = _aliases(fn)
        for node in ast.walk(fn):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign | ast.Delete):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATORS
            ):
                targets = [node.func.value]
            for target in targets:
                for one in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(one, ast.Name):
                        continue  # rebinding a local changes nothing
                    if (name := _slice_of(one, aliases)) is None:
                        continue
                    if (
                        name in SPLIT
                        and isinstance(one, ast.Attribute)
                        and _slice_of(one.value, aliases) == name
                    ):
                        name = f"{name}.{one.attr}"  # a field of a slice with owners by field
                    found.add((fn.name, name))
    return found


def _modules() -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted(RUN.glob("*.py")) if p.stem != "__init__"}


def test_each_concern_writes_only_its_own_slice_of_the_state() -> None:
    wrong = []
    seen: set[str] = set()
    for module, source in _modules().items():
        for function, name in sorted(writes(source)):
            seen.add(name)
            if (module, function) in WHOLE_STATE:
                continue
            owner = OWNERS.get(name)
            if owner != module:
                wrong.append(f"{module}.{function} writes state.{name} (owner: {owner})")
    assert not wrong, "\n".join(wrong)
    # The map is not stale: most slices are written, each by its owner.
    assert {"rg", "timers", "points_balance", "tier", "engagement", "profile"} <= seen


def test_the_check_sees_writes_through_the_forms_the_concerns_use() -> None:
    source = """
def direct(ctx):
    ctx.state.tier = None
def item(ctx):
    ctx.state.timers["t"] = 1
def deleted(ctx):
    del ctx.state.badges["b"]
def mutated(ctx):
    ctx.state.rule_fires.setdefault("r", []).append(1)
def through_a_slice(ctx):
    status = ctx.state.rg
    status.daily_net = {}
def through_the_state(ctx):
    into = ctx.state
    into.wallet = None
def unpacked(ctx):
    event, e = ctx.event, ctx.state.engagement
    e.stage = "new"
def augmented(ctx):
    ctx.state.points_balance += 1
def a_field(ctx):
    profile = ctx.state.profile
    profile.shared_contacts = {}
def reads_only(ctx):
    status = ctx.state.rg
    local = dict(status.daily_net)
    local["x"] = 1
"""
    assert writes(source) == {
        ("direct", "tier"),
        ("item", "timers"),
        ("deleted", "badges"),
        ("mutated", "rule_fires"),
        ("through_a_slice", "rg"),
        ("through_the_state", "wallet"),
        ("unpacked", "engagement"),
        ("augmented", "points_balance"),
        ("a_field", "profile.shared_contacts"),
    }


def _concern_imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "shared.domain.run":
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "shared.domain.run."
        ):
            names.add((node.module or "").rsplit(".", 1)[1])
    return names


def test_the_concerns_call_each_other_down_a_dag() -> None:
    modules = _modules()
    graph = {m: _concern_imports(src) & modules.keys() for m, src in modules.items()}
    # Kahn's algorithm: a cycle leaves modules that never reach zero incoming edges.
    waiting = {m: set(deps) for m, deps in graph.items()}
    order: list[str] = []
    while ready := sorted(m for m, deps in waiting.items() if not deps):
        for m in ready:
            order.append(m)
            del waiting[m]
        for deps in waiting.values():
            deps -= set(ready)
    assert not waiting, f"import cycle among {sorted(waiting)}"
    # The orchestrator is on top and the context near the bottom: nothing imports decide,
    # and the context imports no concern.
    assert order[-1] == "decide"
    assert not any(m.startswith("run_") for m in graph["context"])
