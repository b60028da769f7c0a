"""CDK entry point: `cdk synth` runs `python3 -m infra.app` (see cdk.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from infra.config import StackConfig
from infra.nag import enable_nag
from infra.stack import EngageStack

STACK_ID = "Engage"


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with its one stack and the cdk-nag checks; synth it to get the assembly."""
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = StackConfig.from_node(app.node)
    # No `env`: the stack is environment-agnostic, so synth needs no AWS credentials and
    # the same template deploys to any account and region.
    EngageStack(
        app,
        STACK_ID,
        config=config,
        description="engage: serverless player-engagement backend (events, rules, timers)",
    )
    enable_nag(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
