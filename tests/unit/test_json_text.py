"""json_text.loads answers as json.loads(parse_float=Decimal) does, on any text."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.backtest import json_text

_numbers = st.one_of(
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
_leaves = st.one_of(st.none(), st.booleans(), st.text(), _numbers.map(lambda n: ("num", n)))


def _render(value: Any) -> str:
    """JSON text whose numbers are written as given (not re-rounded by json.dumps)."""
    if isinstance(value, tuple):
        text = str(value[1])
        return text if text.lstrip("-")[:1].isdigit() else "0"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_render(v) for v in value) + "]"
    return json.dumps(value)


_documents = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _same(text: str) -> None:
    expected = json.loads(text, parse_float=Decimal)
    got = json_text.loads(text)
    # repr: Decimal("2.10") == Decimal("2.1"), but a backtest must keep the digits as written.
    assert repr(got) == repr(expected)


@given(_documents)
def test_any_document_reads_as_the_standard_library_reads_it(document: Any) -> None:
    _same(_render(document))


@pytest.mark.parametrize(
    "text",
    [
        '{"amount": 2.10, "stake": 10.000, "big": 123456789012345678901234567890}',
        '{"tiny": 1.5e-7, "huge": 1E400, "zero": -0.0, "int": -0}',
        '{"a": 1, "a": 2}',  # the last of a repeated key, as the standard library keeps
        '{"nan": NaN, "inf": Infinity, "neg": -Infinity}',  # floats, not Decimal("NaN")
        '{"lone": "\\ud800"}',  # jiter refuses a lone surrogate escape; json takes it
        ' {"spaced": "é\\u00e9"} ',
    ],
)
def test_edge_cases_read_the_same(text: str) -> None:
    _same(text)


@pytest.mark.parametrize("text", ['{"a": 1,}', '{"a": "x"} trailing', "", "{"])
def test_bad_text_raises_the_standard_librarys_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json_text.loads(text)


def test_without_jiter_the_standard_library_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_text, "jiter", None)
    assert repr(json_text.loads('{"a": 2.10}')) == repr({"a": Decimal("2.10")})
