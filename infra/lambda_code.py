"""The one code asset every function ships: the repo's runtime packages, tzdata, nothing else.

The asset is a build folder staged from the source tree at synth time (a plain file copy: no
pip, no Docker). It holds the runtime packages minus the local-only code, plus the
installed pure-Python `tzdata` package, because the Lambda image may have no system tz
database and `zoneinfo` then finds nothing, not even UTC.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / "build" / "lambda_asset"

# Packages the handlers import at run time. boto3 comes with the Lambda runtime, Powertools
# and pydantic with the AWS-managed Powertools layer.
RUNTIME_PACKAGES = ("functions", "shared", "events")

# Installed distributions copied into the asset as they are (pure Python, no build step).
BUNDLED_PACKAGES = ("tzdata",)

# Inside the runtime packages but never deployed: moto wiring, the dev login, the CLI.
NOT_SHIPPED = ("shared/local",)

# Which Powertools release each version of the AWS-managed layer
# AWSLambdaPowertoolsPythonV3-python313-arm64 holds. The one place to bump: cdk.json's
# `powertools_layer_version` must be a key here, and the dev pin in pyproject.toml must equal
# its value (tests/infra/test_lambda_code.py fails otherwise). Layer 27 is the one published
# for 3.23.0 (V3 layers count up one per release from 3.0.0 = 1; the docs bumped their ARN
# from 26, 3.22.1, to 27 after 3.23.0).
POWERTOOLS_LAYER_RELEASES: dict[int, str] = {27: "3.23.0"}


def powertools_release(layer_version: int) -> str:
    """The Powertools release inside that layer version, or a clear error if not mapped."""
    try:
        return POWERTOOLS_LAYER_RELEASES[layer_version]
    except KeyError:
        raise KeyError(
            f"Powertools layer version {layer_version} is not in POWERTOOLS_LAYER_RELEASES "
            "(infra/lambda_code.py): add it with its release and pin that release in pyproject"
        ) from None


def _skipped(relative: Path) -> bool:
    if any(part == "__pycache__" for part in relative.parts) or relative.suffix == ".pyc":
        return True
    posix = relative.as_posix()
    return any(posix == n or posix.startswith(n + "/") for n in NOT_SHIPPED)


def _files(root: Path, top: Path) -> Iterator[Path]:
    """Every file under root/top to ship, as paths relative to root, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(root / top):
        dirnames.sort()
        base = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if not _skipped(base / d)]
        for name in sorted(filenames):
            relative = base / name
            if not _skipped(relative):
                yield relative


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"{name} is not installed: it ships inside the Lambda asset (pip install {name})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sources(repo_root: Path) -> list[tuple[Path, Path]]:
    """(source file, path inside the asset) for everything the asset holds."""
    missing = [pkg for pkg in RUNTIME_PACKAGES if not (repo_root / pkg / "__init__.py").is_file()]
    if missing:
        raise FileNotFoundError(
            f"runtime packages without __init__.py under {repo_root}: {missing}"
        )
    pairs = [
        (repo_root / relative, relative)
        for pkg in RUNTIME_PACKAGES
        for relative in _files(repo_root, Path(pkg))
    ]
    for name in BUNDLED_PACKAGES:
        package = _package_dir(name)
        pairs += [
            (package.parent / relative, relative)
            for relative in _files(package.parent, Path(package.name))
        ]
    return pairs


def stage_runtime(repo_root: Path = REPO_ROOT, build_dir: Path = BUILD_DIR) -> Path:
    """Make build_dir hold exactly what the functions need; return it.

    A sync, not a fresh copy: files whose bytes already match are left alone and anything
    else in build_dir is removed, so a re-synth with no code change writes nothing. Only
    paths and bytes count (no timestamps), so the same sources give the same asset hash.
    """
    wanted = {relative: source for source, relative in _sources(repo_root)}
    if build_dir.exists():
        for dirpath, _, filenames in os.walk(build_dir, topdown=False):
            here = Path(dirpath)
            for name in filenames:
                if (here / name).relative_to(build_dir) not in wanted:
                    (here / name).unlink()
            if here != build_dir and not any(here.iterdir()):
                here.rmdir()
    for relative, source in wanted.items():
        data = source.read_bytes()
        target = build_dir / relative
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return build_dir


def content_digest(build_dir: Path) -> str:
    """A hash of the staged asset's paths and bytes (what CDK's source hash also covers)."""
    digest = hashlib.sha256()
    for relative in sorted(p.relative_to(build_dir) for p in build_dir.rglob("*") if p.is_file()):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update((build_dir / relative).read_bytes())
    return digest.hexdigest()


_staged: dict[tuple[Path, Path], Path] = {}


def runtime_code(repo_root: Path = REPO_ROOT, build_dir: Path = BUILD_DIR) -> lambda_.Code:
    """The asset for all functions (one upload, shared by all; staged once per synth)."""
    key = (repo_root, build_dir)
    if key not in _staged:
        _staged[key] = stage_runtime(repo_root, build_dir)
    return lambda_.Code.from_asset(str(_staged[key]))
