"""A pydantic model with some fields replaced, without pydantic's generic copy path.

`model.model_copy(update=...)` is what the decision core does to its profile and RG status
on every event, and pydantic's version (a generic `__copy__`, then an update that checks
for extra fields) cost more than the rest of applying a round. This builds the same
result directly: a new instance over the old `__dict__` with the changes laid on, the
same fields-set bookkeeping, and its own copies of the extra and private slots. Like
`model_copy`, it does not validate the new values.

`in_place=True` lays the changes on `model` itself and returns it: for a caller that keeps
no reference to the model as it was (a decision made in place, `decide(in_place=True)`),
which then pays neither the new instance nor the merge of every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_FIELDS: dict[type, frozenset[str]] = {}


def updated(model: M, changes: Mapping[str, Any], in_place: bool = False) -> M:
    """`model.model_copy(update=changes)`: the same instance, built directly (or, with
    `in_place`, `model` itself with the changes set on it)."""
    kind = type(model)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = frozenset(kind.__pydantic_fields__)
    if not changes.keys() <= fields:
        if in_place:
            for name, value in changes.items():
                setattr(model, name, value)  # pydantic's own rules for extra keys
            return model
        return model.model_copy(update=dict(changes))  # extra keys: pydantic's own rules
    if in_place:
        model.__dict__.update(changes)
        model.__pydantic_fields_set__.update(changes.keys())
        return model
    copied = kind.__new__(kind)
    setattr_ = object.__setattr__
    setattr_(copied, "__dict__", {**model.__dict__, **changes})
    extra = model.__pydantic_extra__
    setattr_(copied, "__pydantic_extra__", None if extra is None else dict(extra))
    setattr_(copied, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    private = model.__pydantic_private__
    setattr_(copied, "__pydantic_private__", None if private is None else dict(private))
    return copied
