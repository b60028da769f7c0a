"""docs/templates.md lists exactly the variables a template may use (so it cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

from shared.domain.commerce.shop_vars import LIST_VARIABLES
from shared.domain.core.config import ALLOWED_TEMPLATE_VARIABLES, MessageTemplate

DOC = Path(__file__).resolve().parents[2] / "docs" / "templates.md"


def _documented() -> set[str]:
    section = DOC.read_text(encoding="utf-8").split("## Variables", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([a-z_.\[\]]+)`", first_cell))
    return names


def test_every_variable_a_template_may_use_is_documented_and_nothing_else():
    assert _documented() == set(ALLOWED_TEMPLATE_VARIABLES) | set(LIST_VARIABLES)


def test_every_template_field_is_in_the_field_table():
    text = DOC.read_text(encoding="utf-8").split("## Syntax", 1)[0]
    fields = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))
    assert fields == set(MessageTemplate.model_fields)
