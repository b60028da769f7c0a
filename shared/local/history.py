"""The local bus archive: the events moto's EventBridge archived, as the engine received them.

In AWS a rebuild replays the archive into a rebuild queue (docs/deploy.md, "Recovery").
moto's replay ignores `FilterArns` and would also feed the live engine rule, so locally the
rebuild reads the archive's events straight from moto's backend (same process) instead.
"""

from __future__ import annotations

import json

from shared.local.provision import REGION

ACCOUNT = "123456789012"


def archived_bodies(archive_name: str) -> list[str]:
    """Every archived envelope, as the JSON body an SQS record would carry, oldest first."""
    from moto.backends import get_backend

    backend = get_backend("events")[ACCOUNT][REGION]
    archive = backend.archives.get(archive_name)
    if archive is None:
        raise LookupError(f"no archive {archive_name!r} on the local bus")
    return [json.dumps(event, default=str) for event in archive.events]
