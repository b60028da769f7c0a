"""What the CLI's commands share to reach a running local stack: find it (or say clearly
that none answers), read its stores, ask its control endpoint, fail with a message.

Apart from cli.py so that the command groups in their own modules (cli_shop.py) use them
without importing the CLI that registers those groups.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from datetime import datetime
from typing import Any

from shared.local import stack_file


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def client_runtime(info: dict[str, Any]) -> Any:
    """A read-side view of the running stack (stores and schedules, no handlers)."""
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.player_store import PlayerStore
    from shared.local.provision import LOCAL_CREDENTIALS, REGION, Resources
    from shared.wiring import AwsClients

    class View:
        def __init__(self) -> None:
            self.resources = Resources(**info["resources"])
            self.clients = AwsClients(info["endpoint"], REGION, LOCAL_CREDENTIALS)
            ddb = self.clients.client("dynamodb")
            self.players = PlayerStore(self.resources.player_table, ddb)
            self.config = ConfigStore(self.resources.config_table, ddb)

        def pending_schedules(self) -> list[tuple[datetime, str, dict[str, Any]]]:
            from shared.local.runtime import LocalRuntime

            return LocalRuntime.pending_schedules(self)  # type: ignore[arg-type]

    return View()


def need_stack() -> dict[str, Any]:
    """The running local stack, found from any folder (shared/local/stack_file.py)."""
    found = stack_file.find()
    if found is None:
        raise SystemExit(
            fail(
                "no local stack is running: start one with `engage up` (in any folder; "
                f"it records itself in {stack_file.FOLDER_FILE} and {stack_file.user_file()})"
            )
        )
    info, path = found
    if not stack_file.answers(info):
        raise SystemExit(
            fail(
                f"the local stack recorded in {path} ({info.get('control')}) does not answer: "
                f"it was stopped without cleaning up; start it again with `engage up` "
                f"(or delete {path})"
            )
        )
    return info


def control_get(info: dict[str, Any], path: str) -> dict[str, Any]:
    with urllib.request.urlopen(info["control"] + path, timeout=10) as resp:  # noqa: S310
        result: dict[str, Any] = json.loads(resp.read())
        return result
