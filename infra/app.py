"""CDK entry point: `cdk synth` runs `python3 -m infra.app` (see cdk.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Tags

from infra.config import DEFAULT_STAGE, StackConfig
from infra.nag import enable_nag
from infra.stack import EngageStack

PROJECT_TAG = "engage"


def stack_id(stage: str) -> str:
    """One stack per stage, so a dev and a prod stack can live in one account and region."""
    return f"Engage-{stage}"


STACK_ID = stack_id(DEFAULT_STAGE)


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with its one stack and the cdk-nag checks; synth it to get the assembly."""
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = StackConfig.from_node(app.node)
    # No `env`: the stack is environment-agnostic, so synth needs no AWS credentials and
    # the same template deploys to any account and region.
    stack = EngageStack(
        app,
        stack_id(config.stage),
        config=config,
        description=f"engage ({config.stage}): serverless player-engagement backend",
    )
    # Every taggable resource carries these (cost allocation, and telling stages apart).
    Tags.of(stack).add("project", PROJECT_TAG)
    Tags.of(stack).add("stage", config.stage)
    enable_nag(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
