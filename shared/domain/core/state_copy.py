"""Copying player state for a decision: new containers and mutable models, shared leaves.

A decision must not change the state it was given (the engine re-decides from it after a
version conflict, tests compare before and after). A deep copy of the whole pydantic tree
was the largest cost of a decision; the leaves (str, int, Decimal, datetime) and frozen
models cannot be changed, so only the containers and mutable models around them are
rebuilt. Frozen models are shared: pydantic refuses assignment to them, and nothing in the
domain changes a container inside one in place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

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

    Built like pydantic's own shallow `__copy__`, without its generic copy() calls. Which
    fields need copying, and how, is read once per class from the field annotations
    (`_copy_plan`): a field that can only hold leaves or frozen models is shared without
    looking at its value.
    """
    kind = type(model)
    plan = _PLANS.get(kind)
    if plan is None:
        plan = _PLANS[kind] = _copy_plan(kind)
    copied = kind.__new__(kind)
    setattr_ = object.__setattr__
    values = dict(model.__dict__)
    for name, how in plan:
        value = values[name]
        if value is not None:
            values[name] = how(value)
    setattr_(copied, "__dict__", values)
    extra = model.__pydantic_extra__
    setattr_(copied, "__pydantic_extra__", None if extra is None else fresh(extra))
    setattr_(copied, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    private = getattr(model, "__pydantic_private__", None)
    setattr_(copied, "__pydantic_private__", None if private is None else dict(private))
    return copied


_PLANS: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _copy_plan(kind: type[BaseModel]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(field, how to copy its value) for each field that may hold something changeable."""
    plan = []
    for name, info in kind.model_fields.items():
        how = _how(info.annotation)
        if how is not None:
            plan.append((name, how))
    return tuple(plan)


def _how(annotation: Any) -> Callable[[Any], Any] | None:
    """None when a value of this type cannot be changed in place; else how to copy one."""
    if _unchangeable(annotation):
        return None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and len(args) == 2:
        return _dict_copy(_how(args[1]))
    if origin is list and len(args) == 1:
        return _list_copy(_how(args[0]))
    if origin is set and len(args) == 1 and _unchangeable(args[0]):
        return _checked(set, set)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _checked(annotation, fresh_model)
    return fresh


# Each copier checks that the value is what the annotation promises; anything else (a
# subclass, a value pydantic coerced) still gets the generic full copy.
def _checked(kind: type, copy: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        return copy(value) if type(value) is kind else fresh(value)

    return checked


def _dict_copy(member: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if member is None:
        return _checked(dict, dict)
    return _checked(dict, lambda value: {k: member(v) for k, v in value.items()})


def _list_copy(member: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if member is None:
        return _checked(list, list)
    return _checked(list, lambda value: [member(v) for v in value])


def _unchangeable(annotation: Any) -> bool:
    if annotation in LEAVES:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return True
    if origin is Annotated:
        return _unchangeable(args[0])
    if origin is Union or origin is UnionType:
        return all(_unchangeable(a) for a in args)
    if origin is tuple or origin is frozenset:
        return all(a is Ellipsis or _unchangeable(a) for a in args)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return is_model and _frozen(annotation)


def _frozen(kind: type) -> bool:
    known = _FROZEN.get(kind)
    if known is None:
        known = _FROZEN[kind] = bool(kind.model_config.get("frozen"))  # type: ignore[attr-defined]
    return known
