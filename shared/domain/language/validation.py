"""How a refused config item is explained: each error's field path and message."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(exc: ValidationError) -> str:
    """Field path and message for each error, e.g. 'then.0.send.template: ...'."""
    parts = []
    for err in exc.errors()[:8]:
        loc: list[str] = []
        for p in err["loc"]:
            # An action's union tag repeats its key ('then', 0, 'send', 'send'): once is enough.
            if not loc or loc[-1] != str(p):
                loc.append(str(p))
        parts.append(f"{'.'.join(loc) or '(item)'}: {err['msg']}")
    return "; ".join(parts)
