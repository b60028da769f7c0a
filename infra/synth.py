"""Synthesize one stage without the CDK CLI: `python -m infra.synth prod cdk.out.scan`.

Reads cdk.json's context like `cdk synth` does (feature flags and defaults), then the stage
and any `key=value` overrides, e.g. for the scanners in `make scan`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.app import build_app

REPO_ROOT = Path(__file__).resolve().parent.parent
# A sender that passes prod's placeholder check; scans and the infra tests never deploy it.
SCAN_SENDER = "noreply@mail.casino-operator.io"


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m infra.synth STAGE OUTDIR [key=value ...]", file=sys.stderr)
        return 2
    stage, outdir, *pairs = argv
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    context["stage"] = stage
    if stage == "prod":
        context["email_from"] = SCAN_SENDER
    context.update(pair.split("=", 1) for pair in pairs)
    build_app(context, outdir=outdir).synth()
    print(f"{outdir}/Engage-{stage}.template.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
