"""Copying player state for a decision: new containers and mutable models, shared leaves.

A decision must not change the state it was given (the engine re-decides from it after a
version conflict, tests compare before and after). A deep copy of the whole pydantic tree
was the largest cost of a decision; the leaves (str, int, Decimal, datetime) and frozen
models cannot be changed, so only the containers and mutable models around them are
rebuilt. Frozen models are shared: pydantic refuses assignment to them, and nothing in the
domain changes a container inside one in place.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

LEAVES = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, timedelta})
_FROZEN: dict[type, bool] = {}

M = TypeVar("M", bound=BaseModel)


def fresh(value: Any) -> Any:
    """A copy of value that shares nothing a caller could change in place."""
    kind = type(value)
    if kind in LEAVES:
        return value
    if kind is dict:
        return {k: v if type(v) in LEAVES else fresh(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in LEAVES else fresh(v) for v in value]
    if isinstance(value, BaseModel):
        return value if _frozen(kind) else fresh_model(value)
    if kind is tuple or kind is frozenset:
        return value if all(type(v) in LEAVES for v in value) else kind(map(fresh, value))
    if kind is set:
        return set(value)
    raise TypeError(f"cannot copy a {kind.__name__} held in player state")


def fresh_model(model: M) -> M:
    """A mutable model's copy: its own containers and mutable sub-models.

    Built like pydantic's own shallow `__copy__`, without its generic copy() calls.
    """
    kind = type(model)
    copied = kind.__new__(kind)
    setattr_ = object.__setattr__
    setattr_(
        copied,
        "__dict__",
        {k: v if type(v) in LEAVES else fresh(v) for k, v in model.__dict__.items()},
    )
    extra = model.__pydantic_extra__
    setattr_(copied, "__pydantic_extra__", None if extra is None else fresh(extra))
    setattr_(copied, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    private = getattr(model, "__pydantic_private__", None)
    setattr_(copied, "__pydantic_private__", None if private is None else dict(private))
    return copied


def _frozen(kind: type) -> bool:
    known = _FROZEN.get(kind)
    if known is None:
        known = _FROZEN[kind] = bool(kind.model_config.get("frozen"))  # type: ignore[attr-defined]
    return known
