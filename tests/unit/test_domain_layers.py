"""shared/domain's subpackages form layers: a module imports from its own package or from
packages below it, never above, so the package graph has no cycles (docs/design.md, "The
decision core, package by package")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "shared" / "domain"
# Bottom to top. A package may import any package listed before it.
LAYERS = [
    "basics",
    "language",
    "players",
    "measurement",
    "commerce",
    "messaging",
    "authoring",
    "game",
    "core",
    "run",
    "outputs",
]
modules = sorted(p for p in DOMAIN.rglob("*.py") if p.parent != DOMAIN)


def imported_packages(path: Path) -> set[str]:
    """The shared.domain subpackages a module imports (TYPE_CHECKING imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[:2] == ["shared", "domain"] and len(parts) > 2:
                found.add(parts[2])
    return found


def test_every_subpackage_has_a_layer_and_no_module_sits_at_the_top():
    packages = {p.name for p in DOMAIN.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == set(LAYERS)
    assert [p for p in DOMAIN.glob("*.py") if p.name != "__init__.py"] == []


@pytest.mark.parametrize("path", modules, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_a_module_imports_only_its_own_layer_or_those_below(path: Path):
    own = LAYERS.index(path.parent.name)
    above = sorted(p for p in imported_packages(path) if LAYERS.index(p) > own)
    assert above == [], f"{path.parent.name}.{path.stem} imports from a higher layer: {above}"
