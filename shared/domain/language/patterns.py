"""Rule conditions: AWS EventBridge event patterns, matched in pure Python.

Marketers write conditions in EventBridge's own pattern language (so what they learn
from the AWS docs applies, and a pattern can be pasted into the EventBridge sandbox),
evaluated here against ``{"event": {...}, "player": {...}}``.

Semantics follow the AWS documentation and AWS's reference matcher (aws/event-ruler):

* A pattern is an object. Keys are AND-ed; a list of values is an OR; a nested object
  descends into the document. ``"$or": [{...}, {...}]`` (two or more objects) ORs
  sub-patterns at any level.
* The document is seen as leaves: arrays are flattened and each element is a leaf, so a
  condition matches an array when any element matches. An array of objects under a
  nested pattern matches when one element matches that whole sub-pattern.
* ``exists`` is about leaves: ``null`` is a present leaf; an absent key, an object and
  an empty array have no leaf, so ``{"exists": false}`` matches them. Absence is judged on
  the whole document, not per array element: under an array of objects,
  ``{"exists": false}`` holds only when no element has a leaf at that path (as AWS
  flattens the event to field paths before matching).
* Numbers are compared by value and exactly: int, float and ``Decimal`` mix freely
  (5 == 5.0 == Decimal("5")), floats count as the decimal they print as (0.1 is 1/10),
  and booleans are never numbers. AWS rounds to six decimal places; this is stricter.
* ``anything-but`` matches every leaf the inner condition rejects, whatever its type
  (``{"anything-but": "x"}`` matches 5 and null). String-only operators (prefix, suffix,
  equals-ignore-case, wildcard, cidr) never match non-strings.
* ``does-not-contain`` (an engage extension, not EventBridge syntax) holds when *no* leaf
  at the path is one its argument names, which takes anything-but's forms (a value, a list
  of strings or of numbers, prefix, suffix, equals-ignore-case, wildcard):
  ``{"disliked_subjects": [{"does-not-contain": "reward:x"}]}``. AWS has no such test:
  a condition on an array holds when any element matches, so ``anything-but`` on an
  array means "some element differs", not "none equals". An absent field, an empty array
  and an object have no leaf, so they contain nothing. Like ``exists:
  false`` it is judged on the whole document (every leaf at the path, through arrays of
  objects). It stands alone in its list (write ``$or`` to combine it with other values).
* Invalid patterns are rejected up front with the same rules AWS applies: empty objects
  and lists, unknown operators, one operator per object, numeric bounds within
  ±5e9 and written lower bound first with the lower bound below the upper one (a point
  range like ``[">=", 5, "<=", 5]`` is refused: write ``["=", 5]``), anything-but lists of
  one type, wildcards without ``**`` or stray backslashes, CIDR blocks that name a network
  (a prefix length, and not a single address: no ``/32`` or ``/128``), operator names as
  field names inside ``$or``, and patterns whose ``$or`` lists expand to more than 1,000
  combinations (the product, over sibling ``$or`` lists, of their branch counts).
"""

from __future__ import annotations

import ipaddress
import json
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Generic, TypeVar

__all__ = ["Matcher", "PatternError", "PatternIndex", "compile_pattern"]

T = TypeVar("T")

ValueTest = Callable[[Any], bool]
Exact = int | Decimal

OPERATORS: Final = frozenset(
    {
        "prefix",
        "suffix",
        "equals-ignore-case",
        "wildcard",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "does-not-contain",
    }
)
# Whole-field negation: not part of EventBridge's syntax (see the module docstring).
DOES_NOT_CONTAIN: Final = "does-not-contain"
# AWS keeps numeric patterns within this range (event-ruler's ComparableNumber).
NUMERIC_LIMIT: Final = Decimal("5e9")
# AWS refuses patterns whose $or lists expand to more than this (InvalidEventPatternException).
MAX_COMBINATIONS: Final = 1_000
_LOWER_OPS: Final = {">": False, ">=": True}  # value: bound included
_UPPER_OPS: Final = {"<": False, "<=": True}


class PatternError(ValueError):
    """Invalid pattern; .path is a dotted path into the pattern like
    'match.player.deposit_count[0].numeric', .message says why."""

    path: str
    message: str

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()
_EMPTY: Final[Mapping[str, Any]] = {}


# --- numbers -------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _exact(value: Any) -> Exact | None:
    """The exact value of a JSON number, or None when `value` is not a comparable number."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is Decimal:
        # NaN would raise on ordering comparisons; it matches nothing instead.
        return None if value.is_nan() else value
    if kind is float:
        # repr is the shortest string that reads back as the same float: the number the
        # author wrote. Decimal(0.1) would be 0.1000000000000000055..., not 1/10.
        return None if value != value else Decimal(repr(value))
    # Subclasses (IntEnum, ...) are rare: convert to the base type and go again.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        return _exact(Decimal(value))
    if isinstance(value, float):
        return _exact(float(value))
    return None


def _pattern_number(value: Any, path: str, *, limited: bool) -> Exact:
    number = _exact(value)
    if number is None or (isinstance(number, Decimal) and not number.is_finite()):
        raise PatternError(path, f"{_show(value)} is not a finite number")
    if limited and not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
        raise PatternError(path, f"{_show(value)} is outside the supported range ±5e9")
    return number


# --- document leaves -----------------------------------------------------------------


def _flatten(values: Sequence[Any], out: list[Any]) -> list[Any]:
    """Scalar leaves of an array (nested arrays included, objects skipped)."""
    for item in values:
        if isinstance(item, list | tuple):
            _flatten(item, out)
        elif not isinstance(item, Mapping):
            out.append(item)
    return out


def _objects(values: Sequence[Any], out: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Objects in an array (nested arrays included)."""
    for item in values:
        if isinstance(item, Mapping):
            out.append(item)
        elif isinstance(item, list | tuple):
            _objects(item, out)
    return out


def _values_at(doc: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Any]:
    """Every scalar leaf at `path`, looking through arrays at every level."""
    objects: list[Mapping[str, Any]] = [doc]
    for key in path[:-1]:
        below: list[Mapping[str, Any]] = []
        for obj in objects:
            value = obj.get(key)
            if isinstance(value, Mapping):
                below.append(value)
            elif isinstance(value, list | tuple):
                _objects(value, below)
        objects = below
    for obj in objects:
        value = obj.get(path[-1], _MISSING)
        if isinstance(value, list | tuple):
            yield from _flatten(value, [])
        elif value is not _MISSING and not isinstance(value, Mapping):
            yield value


# --- rendering for messages ----------------------------------------------------------


def _show(value: Any, limit: int = 80) -> str:
    """JSON-looking text for messages; Decimal shows as the number it is."""
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {_render(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# --- compiled tree -------------------------------------------------------------------
#
# Each node keeps what explain() and the index need, and a `matches` closure built once:
# matching is the hot path (rules x events), and closures over locals skip the attribute
# lookups and method binding a plain method would repeat on every call.

# A check gets the object it looks at and the whole document: exists:false under an
# array of objects is judged on the whole document (see the module docstring).
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]

# The exact types of JSON-like leaves: one set lookup instead of an isinstance chain.
_SCALAR_TYPES: Final = frozenset({str, int, float, Decimal, bool, type(None)})


class _Leaf:
    """One field compared against a list of alternatives."""

    __slots__ = ("anchor", "doc_path", "key", "matches", "path", "rank", "source")
    matches: Check
    rank: int

    def __init__(
        self,
        key: str,
        path: tuple[str, ...],
        source: list[Any],
        test: ValueTest,
        *,
        exists: bool,
        absent_ok: bool,
        anchor: frozenset[Hashable] | None,
        excluded: ValueTest | None = None,
    ) -> None:
        self.key = key
        self.path = path
        self.doc_path = ".".join(path)
        self.source = source
        self.anchor = anchor
        # Exact values are the cheapest test and usually the most selective: try them first.
        self.rank = 0 if anchor is not None else 1
        if excluded is not None:
            self.matches = _none_matcher(excluded, path)
        else:
            self.matches = _leaf_matcher(key, test, exists=exists, absent_ok=absent_ok, path=path)

    def explain(self, obj: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
        if self.matches(obj, root):
            return None
        value = obj.get(self.key, _MISSING)
        return f"{self.doc_path}: {_show(value)} does not match {_show(self.source)}"


def _leaf_matcher(
    key: str, test: ValueTest, *, exists: bool, absent_ok: bool, path: tuple[str, ...]
) -> Check:
    scalar_test = _always if exists else test
    scalar_types, missing = _SCALAR_TYPES, _MISSING  # closure cells are cheaper than globals

    def absent(root: Mapping[str, Any]) -> bool:
        # Absent here; below the top level another array element may still hold a leaf
        # at this path, and then the field exists (AWS judges the flattened document).
        if not absent_ok:
            return False
        return len(path) == 1 or next(_values_at(root, path), missing) is missing

    def other(value: Any, root: Mapping[str, Any]) -> bool:
        if isinstance(value, list | tuple):
            leaves = _flatten(value, [])
            if not leaves:
                return absent(root)
            return exists or any(map(test, leaves))
        if value is _MISSING or isinstance(value, Mapping):
            return absent(root)
        return scalar_test(value)

    def matches(obj: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
        value = obj.get(key, missing)
        if type(value) in scalar_types:
            return scalar_test(value)
        return other(value, root)

    return matches


def _none_matcher(excluded: ValueTest, path: tuple[str, ...]) -> Check:
    """does-not-contain: no leaf anywhere at `path` in the whole document is excluded."""

    def matches(obj: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
        for value in _values_at(root, path):  # noqa: SIM110 - hot path, no generator
            if excluded(value):
                return False
        return True

    return matches


class _Nested:
    """A nested object in the pattern: descend, or try each object of an array."""

    __slots__ = ("doc_path", "key", "matches", "node", "rank")
    matches: Check
    rank: int

    def __init__(self, key: str, doc_path: str, node: _Node) -> None:
        self.key = key
        self.doc_path = doc_path
        self.node = node
        self.rank = node.rank
        self.matches = _nested_matcher(key, node.matches)

    def _targets(self, obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        value = obj.get(self.key)
        if isinstance(value, Mapping):
            return [value]
        if isinstance(value, list | tuple):
            found = _objects(value, [])
            if found:
                return found
        return [_EMPTY]

    def explain(self, obj: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
        if self.matches(obj, root):
            return None
        targets = self._targets(obj)
        reason = self.node.explain(targets[0], root)
        if len(targets) > 1:
            return f"{self.doc_path}: no array element matches (first: {reason})"
        return reason


def _nested_matcher(key: str, inner: Check) -> Check:
    def other(value: Any, root: Mapping[str, Any]) -> bool:
        if isinstance(value, Mapping):
            return inner(value, root)
        if isinstance(value, list | tuple):
            found = _objects(value, [])
            if found:
                return any(inner(item, root) for item in found)
        # Nothing to descend into: every field below is absent (only exists:false holds).
        return inner(_EMPTY, root)

    def matches(obj: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
        value = obj.get(key)
        if type(value) is dict:
            return inner(value, root)
        return other(value, root)

    return matches


class _Or:
    __slots__ = ("branches", "matches", "rank")
    matches: Check
    rank: int

    def __init__(self, branches: tuple[_Node, ...]) -> None:
        self.branches = branches
        self.rank = 2
        self.matches = _any_check(tuple(branch.matches for branch in branches))

    def explain(self, obj: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
        if self.matches(obj, root):
            return None
        reasons = (branch.explain(obj, root) for branch in self.branches)
        return "no $or branch matches: " + " | ".join(r for r in reasons if r)


class _Node:
    """An object in the pattern: every check must hold."""

    __slots__ = ("checks", "matches", "rank")
    matches: Check
    rank: int

    def __init__(self, checks: tuple[_Leaf | _Nested | _Or, ...]) -> None:
        self.checks = checks  # pattern order, which explain() reports in
        self.rank = min(check.rank for check in checks)
        ordered = sorted(checks, key=lambda check: check.rank)
        self.matches = _all_check(tuple(check.matches for check in ordered))

    def explain(self, obj: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
        for check in self.checks:
            reason = check.explain(obj, root)
            if reason is not None:
                return reason
        return None

    def anchors(
        self, prefix: tuple[str, ...] = ()
    ) -> Iterator[tuple[tuple[str, ...], frozenset[Hashable]]]:
        """Fields every match must satisfy with an exact string/number (no $or above)."""
        for check in self.checks:
            if isinstance(check, _Leaf) and check.anchor is not None:
                yield (*prefix, check.key), check.anchor
            elif isinstance(check, _Nested):
                yield from check.node.anchors((*prefix, check.key))


def _all_check(checks: tuple[Check, ...]) -> Check:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda obj, root: first(obj, root) and second(obj, root)

    def all_hold(obj: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
        # A plain loop, not all(<genexpr>): no generator object per call on the hot path.
        for check in checks:  # noqa: SIM110
            if not check(obj, root):
                return False
        return True

    return all_hold


def _any_check(checks: tuple[Check, ...]) -> Check:
    if len(checks) == 2:
        first, second = checks
        return lambda obj, root: first(obj, root) or second(obj, root)

    def any_holds(obj: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
        for check in checks:  # noqa: SIM110
            if check(obj, root):
                return True
        return False

    return any_holds


class Matcher:
    """A compiled pattern. Build with compile_pattern()."""

    __slots__ = ("_match", "_root", "source")

    def __init__(self, root: _Node, source: dict[str, Any]) -> None:
        self._root = root
        self._match = root.matches
        self.source = source

    def matches(self, doc: Mapping[str, Any]) -> bool:
        return self._match(doc, doc)

    def explain(self, doc: Mapping[str, Any]) -> str | None:
        """None when it matches, else a short human reason for the first failing field,
        e.g. "player.deposit_count: 2 does not match [0]"."""
        return self._root.explain(doc, doc)

    def anchors(self) -> list[tuple[tuple[str, ...], frozenset[Hashable]]]:
        """(field path, exact values) pairs, one of which any matching doc must contain."""
        return list(self._root.anchors())

    def __repr__(self) -> str:
        return f"Matcher({_show(self.source, 120)})"


# --- compiler ------------------------------------------------------------------------


def compile_pattern(pattern: Mapping[str, Any], *, path: str = "match") -> Matcher:
    """Validate `pattern` completely and compile it; raises PatternError on the first problem."""
    if not isinstance(pattern, Mapping):
        raise PatternError(path, f"a pattern must be an object, got {_show(pattern)}")
    root = _compile_object(pattern, path, (), in_or=False)
    combinations = _combinations(root)
    if combinations > MAX_COMBINATIONS:
        raise PatternError(
            path,
            f"its $or lists expand to {combinations:,} combinations; EventBridge allows at "
            f"most {MAX_COMBINATIONS:,} (use fewer $or lists or fewer branches)",
        )
    return Matcher(root, _copy(pattern))


def _combinations(node: _Node) -> int:
    """How many plain patterns the $or lists expand to: sibling $or lists multiply, the
    branches of one $or add up."""
    total = 1
    for check in node.checks:
        if isinstance(check, _Or):
            total *= sum(_combinations(branch) for branch in check.branches)
        elif isinstance(check, _Nested):
            total *= _combinations(check.node)
    return total


def _copy(value: Any) -> Any:
    """A private copy of the pattern's containers, so later edits cannot desync .source."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _compile_object(
    obj: Mapping[str, Any], path: str, doc_path: tuple[str, ...], *, in_or: bool
) -> _Node:
    if not obj:
        raise PatternError(path, "empty objects are not allowed")
    checks: list[_Leaf | _Nested | _Or] = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise PatternError(path, f"field names must be strings, got {key!r}")
        here = f"{path}.{key}"
        if key == "$or":
            checks.append(_compile_or(value, here, doc_path))
            continue
        if in_or and key in OPERATORS:
            # AWS rejects this too: it is nearly always an operator written outside its list.
            raise PatternError(
                here,
                f'\'{key}\' is an operator, not a field; write {{"field": [{{"{key}": ...}}]}}',
            )
        if isinstance(value, Mapping):
            node = _compile_object(value, here, (*doc_path, key), in_or=in_or)
            checks.append(_Nested(key, ".".join((*doc_path, key)), node))
        elif isinstance(value, list):
            checks.append(_compile_leaf(key, value, here, (*doc_path, key)))
        else:
            raise PatternError(here, f"must be a list of values or an object, got {_show(value)}")
    return _Node(tuple(checks))


def _compile_or(value: Any, path: str, doc_path: tuple[str, ...]) -> _Or:
    if not isinstance(value, list) or len(value) < 2:
        raise PatternError(path, "$or must be a list of at least two objects")
    branches = []
    for i, branch in enumerate(value):
        if not isinstance(branch, Mapping):
            raise PatternError(
                f"{path}[{i}]", f"each $or branch must be an object, got {_show(branch)}"
            )
        branches.append(_compile_object(branch, f"{path}[{i}]", doc_path, in_or=True))
    return _Or(tuple(branches))


def _compile_leaf(key: str, alternatives: list[Any], path: str, doc_path: tuple[str, ...]) -> _Leaf:
    if not alternatives:
        raise PatternError(path, "empty lists are not allowed")
    strings: set[str] = set()
    numbers: set[Exact] = set()
    literals: list[Any] = []  # null, true, false: compared by identity
    operators: list[ValueTest] = []
    exists = absent_ok = False
    excluded = _none_condition(alternatives, path)
    if excluded is not None:
        return _Leaf(
            key,
            doc_path,
            _copy(alternatives),
            _never,
            exists=False,
            absent_ok=False,
            anchor=None,
            excluded=excluded,
        )
    for i, item in enumerate(alternatives):
        here = f"{path}[{i}]"
        if isinstance(item, str):
            strings.add(item)
        elif item is None or isinstance(item, bool):
            literals.append(item)
        elif _is_number(item):
            numbers.add(_pattern_number(item, here, limited=False))
        elif isinstance(item, Mapping):
            if len(item) != 1:
                raise PatternError(
                    here, f"an operator object needs exactly one key, got {len(item)}"
                )
            ((name, arg),) = item.items()
            if name == "exists":
                if not isinstance(arg, bool):
                    raise PatternError(f"{here}.exists", "must be true or false")
                exists, absent_ok = exists or arg, absent_ok or not arg
            else:
                operators.append(_compile_operator(name, arg, here))
        else:
            raise PatternError(
                here,
                f"values must be strings, numbers, booleans, null or operators, got {_show(item)}",
            )

    test = _any_of(_equality_test(strings, numbers, literals), *operators)
    anchor: frozenset[Hashable] | None = None
    if not literals and not operators and not exists and not absent_ok:
        anchor = frozenset((*strings, *numbers))
    return _Leaf(
        key,
        doc_path,
        _copy(alternatives),
        test,
        exists=exists,
        absent_ok=absent_ok,
        anchor=anchor,
    )


def _none_condition(alternatives: list[Any], path: str) -> ValueTest | None:
    """The excluded-leaf test of a does-not-contain list, or None for any other list."""
    positions = [
        i
        for i, item in enumerate(alternatives)
        if isinstance(item, Mapping) and DOES_NOT_CONTAIN in item
    ]
    if not positions:
        return None
    here = f"{path}[{positions[0]}]"
    if len(alternatives) > 1:
        # Its meaning is about the whole field; ORed with a value it would read ambiguously.
        raise PatternError(
            here,
            "does-not-contain must be the only condition in its list; combine it with "
            'other values through "$or"',
        )
    item = alternatives[0]
    if len(item) != 1:
        raise PatternError(here, f"an operator object needs exactly one key, got {len(item)}")
    return _anything_but_inner(item[DOES_NOT_CONTAIN], f"{here}.{DOES_NOT_CONTAIN}")


def _equality_test(strings: set[str], numbers: set[Exact], literals: list[Any]) -> ValueTest | None:
    if not (strings or numbers or literals):
        return None
    frozen_strings = frozenset(strings)
    frozen_numbers = frozenset(numbers)
    if not numbers and not literals:
        return lambda v: isinstance(v, str) and v in frozen_strings
    if not strings and not literals:
        return lambda v: _exact(v) in frozen_numbers
    has_null = any(x is None for x in literals)
    has_true = any(x is True for x in literals)
    has_false = any(x is False for x in literals)

    def equals(value: Any) -> bool:
        if isinstance(value, str):
            return value in frozen_strings
        if value is None:
            return has_null
        if value is True:
            return has_true
        if value is False:
            return has_false
        number = _exact(value)
        return number is not None and number in frozen_numbers

    return equals


def _any_of(*tests: ValueTest | None) -> ValueTest:
    live = [t for t in tests if t is not None]
    if not live:
        return _never
    if len(live) == 1:
        return live[0]
    return lambda value: any(t(value) for t in live)


def _never(value: Any) -> bool:
    return False


def _always(value: Any) -> bool:
    return True


# --- operators -----------------------------------------------------------------------


def _compile_operator(name: str, arg: Any, path: str) -> ValueTest:
    here = f"{path}.{name}"
    if name in ("prefix", "suffix"):
        return _affix_test(name, arg, here)
    if name == "equals-ignore-case":
        return _ignore_case_test(_string(arg, here), here)
    if name == "wildcard":
        return _wildcard_test(_string(arg, here), here)
    if name == "anything-but":
        inner = _anything_but_inner(arg, here)
        return lambda value: not inner(value)
    if name == "numeric":
        return _numeric_test(arg, here)
    if name == "cidr":
        return _cidr_test(arg, here)
    raise PatternError(here, f"unknown operator; expected one of {', '.join(sorted(OPERATORS))}")


def _string(arg: Any, path: str) -> str:
    if not isinstance(arg, str):
        raise PatternError(path, f"must be a string, got {_show(arg)}")
    return arg


def _affix_test(name: str, arg: Any, path: str, *, allow_empty: bool = True) -> ValueTest:
    ignore_case = False
    if isinstance(arg, Mapping):
        if set(arg) != {"equals-ignore-case"}:
            raise PatternError(path, 'must be a string or {"equals-ignore-case": string}')
        arg, path, ignore_case = arg["equals-ignore-case"], f"{path}.equals-ignore-case", True
    text = _string(arg, path)
    if not text and not allow_empty:
        raise PatternError(path, "must not be empty")
    if ignore_case:
        folded = text.lower()
        if name == "prefix":
            return lambda v: isinstance(v, str) and v.lower().startswith(folded)
        return lambda v: isinstance(v, str) and v.lower().endswith(folded)
    if name == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def _ignore_case_test(text: str, path: str) -> ValueTest:
    folded = text.lower()
    return lambda v: isinstance(v, str) and v.lower() == folded


def _wildcard_test(text: str, path: str) -> ValueTest:
    regex = _wildcard_regex(text, path)
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


def _wildcard_regex(text: str, path: str) -> re.Pattern[str]:
    parts: list[str] = []
    i, previous_star = 0, False
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 < len(text) and text[i + 1] in "*\\":
                parts.append(re.escape(text[i + 1]))
                i, previous_star = i + 2, False
                continue
            raise PatternError(path, "a backslash may only escape '*' or '\\'")
        if char == "*":
            if previous_star:
                raise PatternError(path, "consecutive '*' wildcards are not allowed")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _string_or_strings(arg: Any, path: str) -> list[str]:
    if isinstance(arg, str):
        return [arg]
    if isinstance(arg, list) and arg:
        return [_string(item, f"{path}[{i}]") for i, item in enumerate(arg)]
    raise PatternError(path, f"must be a string or a non-empty list of strings, got {_show(arg)}")


def _anything_but_inner(arg: Any, path: str) -> ValueTest:
    """What anything-but excludes."""
    if isinstance(arg, Mapping):
        if len(arg) != 1:
            raise PatternError(path, f"an operator object needs exactly one key, got {len(arg)}")
        ((name, inner),) = arg.items()
        here = f"{path}.{name}"
        if name in ("prefix", "suffix"):
            if not isinstance(inner, str):
                raise PatternError(here, f"must be a string, got {_show(inner)}")
            return _affix_test(name, inner, here, allow_empty=False)
        if name == "equals-ignore-case":
            texts = _string_or_strings(inner, here)
            return _any_of(*(_ignore_case_test(t, here) for t in texts))
        if name == "wildcard":
            if isinstance(inner, str):
                return _wildcard_test(inner, here)
            texts = _string_or_strings(inner, here)
            return _any_of(*(_wildcard_test(t, f"{here}[{i}]") for i, t in enumerate(texts)))
        raise PatternError(
            here, "anything-but supports prefix, suffix, equals-ignore-case and wildcard"
        )
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise PatternError(path, "empty lists are not allowed")
    strings: set[str] = set()
    numbers: set[Exact] = set()
    for i, value in enumerate(values):
        here = f"{path}[{i}]" if isinstance(arg, list) else path
        if isinstance(value, str):
            strings.add(value)
        elif _is_number(value):
            numbers.add(_pattern_number(value, here, limited=True))
        else:
            raise PatternError(here, f"must be a string or a number, got {_show(value)}")
    if strings and numbers:
        raise PatternError(path, "an anything-but list must be all strings or all numbers")
    test = _equality_test(strings, numbers, [])
    assert test is not None
    return test


def _numeric_test(arg: Any, path: str) -> ValueTest:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise PatternError(path, 'must be ["op", number] or [">"|">=", number, "<"|"<=", number]')
    bounds: list[tuple[str, Exact]] = []
    for i in range(0, len(arg), 2):
        op, value = arg[i], arg[i + 1]
        if not isinstance(op, str) or op not in ("<", "<=", "=", ">=", ">"):
            raise PatternError(
                f"{path}[{i}]", f"unknown comparison {_show(op)}; use <, <=, =, >=, >"
            )
        if not _is_number(value):
            raise PatternError(f"{path}[{i + 1}]", f"must be a number, got {_show(value)}")
        bounds.append((op, _pattern_number(value, f"{path}[{i + 1}]", limited=True)))

    if len(bounds) == 2:
        (low_op, low), (high_op, high) = bounds
        if low_op not in _LOWER_OPS or high_op not in _UPPER_OPS:
            raise PatternError(
                path, 'a range gives the lower bound first: [">"|">=", low, "<"|"<=", high]'
            )
        if low > high or (low == high and not (_LOWER_OPS[low_op] and _UPPER_OPS[high_op])):
            raise PatternError(path, f"the range {low_op} {low} and {high_op} {high} is empty")
        if low == high:
            # AWS: the lower bound must be below the upper one, even when both are included.
            raise PatternError(
                path,
                f'the range {low_op} {low} and {high_op} {high} is one point; use ["=", {low}]',
            )
        return _range_test(low, _LOWER_OPS[low_op], high, _UPPER_OPS[high_op])

    ((op, bound),) = bounds
    if op == "=":
        return lambda v: _exact(v) == bound
    if op in _LOWER_OPS:
        return _range_test(bound, _LOWER_OPS[op], None, False)
    return _range_test(None, False, bound, _UPPER_OPS[op])


def _range_test(low: Exact | None, low_in: bool, high: Exact | None, high_in: bool) -> ValueTest:
    above = operator.ge if low_in else operator.gt
    below = operator.le if high_in else operator.lt
    # Open ends become infinities so one comparison shape serves every range.
    floor: Exact = Decimal("-Infinity") if low is None else low
    ceiling: Exact = Decimal("Infinity") if high is None else high

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is int or kind is Decimal:  # the common case: compare as is
            try:
                return above(value, floor) and below(value, ceiling)  # type: ignore[no-any-return]
            except InvalidOperation:  # Decimal NaN
                return False
        number = _exact(value)
        return number is not None and above(number, floor) and below(number, ceiling)

    return test


def _cidr_test(arg: Any, path: str) -> ValueTest:
    text = _string(arg, path)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise PatternError(path, f"not a valid IP network: {exc}") from None
    # AWS wants a network: a prefix length, and not one that covers a single address.
    if "/" not in text:
        raise PatternError(
            path, f"{_show(text)} has no prefix length; write a block like 10.0.0.0/24"
        )
    if network.prefixlen == network.max_prefixlen:
        raise PatternError(
            path,
            f"/{network.prefixlen} is a single address; match it as a string, or use a "
            "shorter prefix",
        )

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test


# --- index ---------------------------------------------------------------------------


def _index_key(value: Any) -> Hashable | None:
    if isinstance(value, str):
        return value
    # Normalised so Decimal("5.00"), 5 and 5.0 share one bucket (they hash alike).
    return _exact(value)


class PatternIndex(Generic[T]):
    """Index many compiled patterns so evaluating a document does not cost
    O(number of patterns).

    Each pattern gets an anchor: a field that must equal one of a few exact strings or
    numbers for the pattern to match at all (found through nested objects, never under
    $or). The pattern is filed under (path, value) for each of those values, and a
    document only evaluates the patterns filed under the values it actually has, plus
    the patterns with no anchor. Among several possible anchors the one whose values are
    shared by the fewest patterns is chosen, so a field every rule repeats (a category
    used by thousands of rules) does not become everyone's bucket.
    """

    def __init__(self, items: Iterable[tuple[T, Matcher]]) -> None:
        self._items: list[T] = []
        self._checks: list[Check] = []  # Matcher._match: skips a method hop per pattern
        candidates: list[list[tuple[tuple[str, ...], frozenset[Hashable]]]] = []
        for item, matcher in items:
            self._items.append(item)
            self._checks.append(matcher._match)
            candidates.append(matcher.anchors())

        popularity: dict[tuple[tuple[str, ...], Hashable], int] = {}
        for anchors in candidates:
            for path, values in anchors:
                for value in values:
                    popularity[path, value] = popularity.get((path, value), 0) + 1

        self._by_path: dict[tuple[str, ...], dict[Hashable, list[int]]] = {}
        self._scan: list[int] = []
        for position, anchors in enumerate(candidates):
            if not anchors:
                self._scan.append(position)
                continue
            path, values = min(
                anchors, key=lambda anchor: sum(popularity[anchor[0], v] for v in anchor[1])
            )
            table = self._by_path.setdefault(path, {})
            for value in values:
                table.setdefault(value, []).append(position)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def scanned(self) -> int:
        """How many patterns have no anchor and are evaluated for every document."""
        return len(self._scan)

    def candidates(self, doc: Mapping[str, Any]) -> list[T]:
        """Items worth evaluating for doc (a superset of matching(doc)), in given order."""
        positions = self._anchored(doc).union(self._scan)
        return [self._items[i] for i in sorted(positions)]

    def matching(self, doc: Mapping[str, Any]) -> list[T]:
        """Items whose pattern matches doc, in the order they were given (stable)."""
        checks = self._checks
        hits = [i for i in self._anchored(doc) if checks[i](doc, doc)]
        hits.extend(i for i in self._scan if checks[i](doc, doc))
        hits.sort()
        return [self._items[i] for i in hits]

    def _anchored(self, doc: Mapping[str, Any]) -> set[int]:
        """Positions of the anchored patterns whose anchor value doc contains."""
        found: set[int] = set()
        for path, table in self._by_path.items():
            for value in _values_at(doc, path):
                key = _index_key(value)
                if key is not None:
                    bucket = table.get(key)
                    if bucket is not None:
                        found.update(bucket)
        return found
