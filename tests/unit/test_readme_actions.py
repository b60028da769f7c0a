"""The README's action list names every action kind the rule language has, so it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from shared.domain.language.actions import ACTION_KINDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_action_kind():
    text = README.read_text(encoding="utf-8")
    section = text.split("Actions:\n", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^- `([a-z_]+)`", section, flags=re.M))

    assert listed == set(ACTION_KINDS)
