"""The domain core stays pure: no AWS SDK, no env, no wall clock (handbook invariant 6)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [ROOT / "shared" / "domain", ROOT / "events"]
FORBIDDEN_MODULES = {
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "moto",
    "os",
    "time",
    "random",
    "secrets",
    "uuid",
}
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}

pure_files = sorted(f for pkg in PURE_PACKAGES for f in pkg.rglob("*.py"))


def impure_imports(source: str) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    return imported & FORBIDDEN_MODULES


def wall_clock_calls(source: str) -> set[tuple[str, str]]:
    calls = {
        (node.func.value.id, node.func.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    }
    return calls & WALL_CLOCK_CALLS


def test_there_are_core_modules_to_check():
    assert len(pure_files) >= 8


@pytest.mark.parametrize("path", pure_files, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_imports_nothing_impure(path):
    assert impure_imports(path.read_text(encoding="utf-8")) == set()


@pytest.mark.parametrize("path", pure_files, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_never_reads_the_wall_clock(path):
    assert wall_clock_calls(path.read_text(encoding="utf-8")) == set()


def test_importing_the_whole_core_pulls_in_no_aws_sdk_transitively():
    modules = [
        ".".join(f.relative_to(ROOT).with_suffix("").parts)
        for f in pure_files
        if f.name != "__init__.py" and f.name != "generate_schemas.py"
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'boto3','botocore','aws_lambda_powertools'})\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_the_checks_catch_an_sdk_import_and_a_wall_clock_read():
    source = "import boto3\nfrom botocore.config import Config\nfrom datetime import datetime\nx = datetime.now()\n"
    assert impure_imports(source) == {"boto3", "botocore"}
    assert wall_clock_calls(source) == {("datetime", "now")}
