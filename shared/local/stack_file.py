"""Where `engage up` says it is running, so `engage send/player/advance/...` find it from any
folder.

`engage up` writes the stack's endpoints twice: in `.engage/local.json` of the folder it was
started in, and in a per-user file (`$ENGAGE_STATE_DIR/local.json`, else
`$XDG_STATE_HOME/engage/local.json`, else `~/.local/state/engage/local.json`). A command looks
in its own folder first (so two stacks in two checkouts on two ports each keep their own),
then in the per-user file (the stack started last). A file left by a stack that died without
cleaning up is reported as such, with its path, rather than timing out on a dead port.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FOLDER_FILE = Path(".engage/local.json")


def user_file() -> Path:
    """The per-user record of the stack started last."""
    explicit = os.environ.get("ENGAGE_STATE_DIR")
    if explicit:
        return Path(explicit) / "local.json"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "engage" / "local.json"


def record(info: dict[str, Any]) -> None:
    """Write the running stack's endpoints here and for the user (with the folder it ran in,
    so commands that read its files, like the lake, find them too)."""
    body = json.dumps({**info, "folder": str(Path.cwd())}, indent=2)
    for path in (FOLDER_FILE, user_file()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def forget(info: dict[str, Any]) -> None:
    """Remove this stack's records; the user file only if no later stack replaced it."""
    FOLDER_FILE.unlink(missing_ok=True)
    path = user_file()
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if current.get("control") == info.get("control"):
        path.unlink(missing_ok=True)


def find() -> tuple[dict[str, Any], Path] | None:
    """The running stack's record and where it was found: this folder's, else the user's."""
    for path in (FOLDER_FILE, user_file()):
        try:
            info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            continue
        return info, path
    return None


def answers(info: dict[str, Any], timeout: float = 2.0) -> bool:
    """Whether the recorded stack's control endpoint is up (a loopback GET /now)."""
    try:
        with urllib.request.urlopen(  # noqa: S310 - loopback control endpoint `engage up` started
            str(info["control"]) + "/now", timeout=timeout
        ) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return False


def lake_dir() -> Path:
    """The local event lake: this folder's, else the one of the stack started last (so
    `engage report` and `engage backtest` work from any folder too)."""
    here = Path(".engage/lake")
    if here.exists():
        return here
    found = find()
    if found is not None and found[0].get("folder"):
        there = Path(str(found[0]["folder"])) / ".engage" / "lake"
        if there.exists():
            return there
    return here
