"""Write one JSON Schema per detail-type from the pydantic models, or check they are current.

    python -m events.generate_schemas            # (re)write events/schemas/*.json
    python -m events.generate_schemas --check    # exit 1 naming any stale file, write nothing

Each file validates the `detail` object; its `$defs.Envelope` validates a whole event as the
engine receives it (`source`, `detail-type`, `detail`), referring back to the detail with `#`.
Output is deterministic (sorted keys, two-space indent, trailing newline) so a test can compare.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from events.models import (
    CONTRACT_MODELS,
    INTERNAL_DETAIL_SOURCES,
    PLATFORM_SENT_OPERATOR_TYPES,
    PLATFORM_SOURCE_PREFIX,
    SCHEMA_VERSION,
    Envelope,
)

__all__ = [
    "ENVELOPE_DEF",
    "JSON_SCHEMA_DIALECT",
    "SCHEMA_DIR",
    "build_schema",
    "main",
    "render_schemas",
    "schema_id",
    "stale_schemas",
    "write_schemas",
]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_DEF = "Envelope"
"""Key under `$defs` of the envelope schema (pydantic names its own defs after model classes)."""


def schema_id(detail_type: str) -> str:
    """Stable `$id` of a detail-type's schema: a URN, so it never pretends to be fetchable."""
    return f"urn:engage:events:v{SCHEMA_VERSION}:{detail_type}"


def build_schema(detail_type: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of one detail-type's detail, with its envelope under `$defs`."""
    model = CONTRACT_MODELS[detail_type]
    schema = model.model_json_schema(mode="validation")
    doc = schema.get("description")
    schema["description"] = f"Detail of the {detail_type} event (contract v{SCHEMA_VERSION})." + (
        f" {doc}" if doc else ""
    )
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = schema_id(detail_type)
    schema.setdefault("$defs", {})[ENVELOPE_DEF] = _envelope_schema(detail_type)
    return schema


def _envelope_schema(detail_type: str) -> dict[str, Any]:
    # Start from the Envelope model so the two cannot disagree on the common fields.
    envelope = Envelope.model_json_schema(mode="validation", by_alias=True)
    properties = envelope["properties"]
    properties["detail-type"] = {"const": detail_type}
    properties["detail"] = {"$ref": "#"}
    if detail_type in INTERNAL_DETAIL_SOURCES:
        properties["source"] = {"const": INTERNAL_DETAIL_SOURCES[detail_type]}
    else:
        # An operator event: never under a platform source, but for the ones a platform
        # function legitimately sends (events.models.PLATFORM_SENT_OPERATOR_TYPES).
        operator: dict[str, Any] = {
            **properties["source"],
            "not": {"pattern": f"^{re.escape(PLATFORM_SOURCE_PREFIX)}"},
        }
        platform = PLATFORM_SENT_OPERATOR_TYPES.get(detail_type)
        properties["source"] = (
            {"anyOf": [{"const": platform}, operator]} if platform is not None else operator
        )
    envelope["title"] = f"{detail_type} event"
    envelope["description"] = (
        "An EventBridge event carrying this detail, as a bus target receives it "
        "(other AWS fields such as id, time, account are allowed)."
    )
    return envelope


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_schemas() -> dict[str, str]:
    """File name -> exact text of every schema file the models produce."""
    return {f"{name}.json": _dump(build_schema(name)) for name in sorted(CONTRACT_MODELS)}


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Problems with the checked-in schemas, one per file; empty when they match the models."""
    expected = render_schemas()
    problems = []
    for name, text in expected.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: out of date")
    for path in sorted(directory.glob("*.json")):
        if path.name not in expected:
            problems.append(f"{path}: no such detail-type in events.models")
    return problems


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write changed schema files, delete ones no model produces; return the paths touched."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = render_schemas()
    touched = []
    for name, text in expected.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            # newline="\n" so Windows checkouts produce the same bytes the check compares.
            path.write_text(text, encoding="utf-8", newline="\n")
            touched.append(path)
    for path in sorted(directory.glob("*.json")):
        if path.name not in expected:
            path.unlink()
            touched.append(path)
    return touched


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m events.generate_schemas", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if any schema file is stale; write nothing"
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="schema directory")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_schemas(args.dir)
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        if problems:
            print("run: python -m events.generate_schemas", file=sys.stderr)
            return 1
        print(f"{len(CONTRACT_MODELS)} schemas up to date in {args.dir}")
        return 0
    for path in write_schemas(args.dir):
        print(f"{'wrote' if path.exists() else 'deleted'} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
