"""Synthesize the real CDK app once per session; the infra tests read its assembly."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.synth import SCAN_SENDER

# jsii prints a banner on every start under Node 20; the tests have nothing to add to it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[2]
NAG_PLUGIN = "AwsSolutions"
# The session's stack is a production stage: what must hold is checked where it matters most
# (data retained, deletion protection, a sender that can be verified).
PROD_CONTEXT = {"stage": "prod", "email_from": SCAN_SENDER}


def cdk_json_context() -> dict[str, Any]:
    """The context `cdk synth` would use: feature flags and defaults from cdk.json."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def validation_findings(assembly_dir: str | Path, plugin: str | None = None) -> list[str]:
    """One line per violating construct in the assembly's validation report."""
    report = json.loads((Path(assembly_dir) / "validation-report.json").read_text())
    lines = []
    for plugin_report in report["pluginReports"]:
        if plugin is not None and plugin_report["pluginName"] != plugin:
            continue
        for violation in plugin_report["violations"]:
            for construct in violation["violatingConstructs"]:
                lines.append(
                    f"{violation['severity']} {violation['ruleName']} at "
                    f"{construct['constructPath']}: {violation['description']}"
                )
    return lines


@dataclass(frozen=True)
class Synth:
    app: Any
    assembly_dir: Path
    template: dict[str, Any]
    stack_id: str = ""

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == type_
        }


def synth_app(outdir: Path, **overrides: Any) -> Any:
    """Build and synthesize the real app with cdk.json's context (plus overrides)."""
    from infra.app import build_app

    # Keep the assembly even when a check fails, so a test can say which check failed;
    # `cdk synth` keeps the cdk.json default and fails (tested in test_nag.py).
    context = {
        **cdk_json_context(),
        # The CLI sets this too: resources carry their construct path as metadata.
        "aws:cdk:enable-path-metadata": True,
        "@aws-cdk/core:failSynthOnValidationErrors": False,
        **overrides,
    }
    app = build_app(context, outdir=str(outdir))
    return app, app.synth()


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from infra.app import stack_id

    app, assembly = synth_app(tmp_path_factory.mktemp("cdk.out"), **PROD_CONTEXT)
    name = stack_id("prod")
    template = assembly.get_stack_by_name(name).template
    return Synth(app=app, assembly_dir=Path(assembly.directory), template=template, stack_id=name)
