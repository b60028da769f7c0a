"""Many event patterns compiled into one automaton, so matching costs what the event
costs, not what the rule count costs (the aws/event-ruler approach).

How it works:

* Every pattern is expanded into plain conjunctions: ``$or`` at any level multiplies out
  (compile_pattern already refuses patterns that expand past 1,000), nested objects
  become dotted field paths, so a conjunction is a list of (field path, condition).
* All conjunctions share one trie. Its conditions are ordered by field path, paths that
  many rules pin to exact values first (game, category, outcome...), so the first steps
  are dictionary look-ups that leave few branches alive. Identical conditions share a
  node, whichever rule wrote them.
* A node keeps, per field path, the conditions that continue from it, grouped by how
  they are looked up: exact strings and numbers in one dict (5 == 5.0 == Decimal("5")),
  null/true/false apart (True == 1 in a dict), equals-ignore-case by lower-cased text,
  prefixes and suffixes by their text (one slice per distinct length), exists and
  exists:false as "has a leaf" / "has none". What is left (numeric ranges, anything-but,
  prefix/suffix ignoring case, wildcard, cidr, the rare mixed list) is evaluated per
  distinct condition at that node: once per event for all rules that share it.
* An event is flattened once into path -> leaves for the paths the patterns use (arrays
  are flattened, as the reference matcher does), then walked through the trie.

Array consistency: patterns.Matcher requires the fields of one nested pattern to match
inside the same element of an array of objects. The flattened view cannot see that, and
it only ever answers too much there (every condition it checks is a relaxation), so when
a walk passes through an array holding two or more objects the automaton's hits are
confirmed with the rules' own Matcher. That is the only per-rule work, and it costs per
hit, not per rule. Answers are identical to patterns.Matcher on every document (the
differential property test in tests/unit/test_pattern_automaton.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any, Final, Generic, TypeVar

from shared.domain.language.patterns import (
    DOES_NOT_CONTAIN,
    Matcher,
    _anything_but_inner,
    _compile_operator,
    _exact,
    _flatten,
    _Leaf,
    _Nested,
    _Node,
    _objects,
    _Or,
    _render,
)

__all__ = ["PatternAutomaton"]

T = TypeVar("T")

ValueTest = Callable[[Any], bool]
# (path key, the alternatives one leaf of the pattern lists, or one of them)
Condition = tuple[str, list[Any]]
# A rule's alternatives are split into conjunctions of their own while it yields at most
# this many; past it a leaf keeps its list (one node per distinct list).
_SPLIT_LIMIT: Final = 256

_SCALAR_TYPES: Final = frozenset({str, int, float, Decimal, bool, type(None)})
_NO_LEAVES: Final[list[Any]] = []
_INFINITY: Final = Decimal("Infinity")
Exact = int | Decimal
Reach = Callable[[Sequence[Any], list["_State"]], None]


class _Step:
    """The conditions on one field path that continue from one node."""

    __slots__ = (
        "absent",
        "children",
        "exact",
        "excluding",
        "exists",
        "generic",
        "lists",
        "literals",
        "lowered",
        "path",
        "prefix_lengths",
        "prefixes",
        "ranges",
        "suffix_lengths",
        "suffixes",
    )

    def __init__(self, path: str) -> None:
        self.path = path
        self.children: dict[str, _State] = {}  # condition key -> node after it
        # Some condition kept a list of alternatives: one leaf may reach its node twice.
        self.lists = False
        self.exact: dict[Hashable, list[_State]] = {}
        self.literals: dict[int, list[_State]] = {}  # id(None/True/False) -> nodes
        self.lowered: dict[str, list[_State]] = {}
        self.prefixes: dict[str, list[_State]] = {}
        self.prefix_lengths: tuple[int, ...] = ()
        self.suffixes: dict[str, list[_State]] = {}
        self.suffix_lengths: tuple[int, ...] = ()
        # (low, low included, high, high included, node), by low: a value stops the scan
        # at the first range that starts above it.
        self.ranges: list[tuple[Exact, bool, Exact, bool, _State]] = []
        self.generic: list[tuple[ValueTest, _State]] = []
        self.exists: list[_State] = []
        self.absent: list[_State] = []
        # does-not-contain: (what no leaf may be, node reached when no leaf is).
        self.excluding: list[tuple[ValueTest, _State]] = []

    def child(self, key: str, alternatives: list[Any]) -> _State:
        found = self.children.get(key)
        if found is not None:
            return found
        state = _State()
        self.children[key] = state
        self.lists = self.lists or len(alternatives) > 1
        for alternative in alternatives:
            self._add(alternative, state)
        return state

    def _add(self, alternative: Any, state: _State) -> None:
        if isinstance(alternative, str):
            self.exact.setdefault(alternative, []).append(state)
            return
        if alternative is None or isinstance(alternative, bool):
            self.literals.setdefault(id(alternative), []).append(state)
            return
        if not isinstance(alternative, Mapping):
            number = _exact(alternative)
            assert number is not None  # compile_pattern accepted it
            self.exact.setdefault(number, []).append(state)
            return
        ((name, arg),) = alternative.items()
        if name == "exists":
            (self.exists if arg else self.absent).append(state)
        elif name == DOES_NOT_CONTAIN:
            self.excluding.append((_anything_but_inner(arg, "match"), state))
        elif name == "equals-ignore-case":
            self.lowered.setdefault(arg.lower(), []).append(state)
        elif name == "prefix" and isinstance(arg, str):
            self.prefixes.setdefault(arg, []).append(state)
            self.prefix_lengths = tuple(sorted({len(p) for p in self.prefixes}))
        elif name == "numeric":
            self.ranges.append((*_bounds(arg), state))
            self.ranges.sort(key=lambda r: (r[0], not r[1]))
        elif name == "suffix" and isinstance(arg, str):
            self.suffixes.setdefault(arg, []).append(state)
            self.suffix_lengths = tuple(sorted({len(s) for s in self.suffixes}))
        else:
            # compile_pattern validated it, so this cannot raise.
            self.generic.append((_compile_operator(name, arg, "match"), state))

    def compile(self) -> Reach:
        """A function appending the nodes whose condition holds for the leaves at this
        path (duplicates allowed), built once the trie is complete: it closes over only
        the look-ups this step has, so the per-event work skips the empty ones."""
        exists, exact, literals = tuple(self.exists), self.exact, self.literals
        lowered, prefixes, suffixes = self.lowered, self.prefixes, self.suffixes
        ranges, generic = tuple(self.ranges), tuple(self.generic)
        excluding = tuple(self.excluding)
        text_lookups = bool(lowered or prefixes or suffixes)
        numbers = bool(exact or ranges)
        if excluding:
            rest = self._compile_leaves(
                exists, exact, literals, text_lookups, ranges, generic, numbers
            )

            def with_excluding(leaves: Sequence[Any], out: list[_State]) -> None:
                rest(leaves, out)
                for test, state in excluding:
                    if not any(map(test, leaves)):
                        out.append(state)

            return with_excluding
        return self._compile_leaves(exists, exact, literals, text_lookups, ranges, generic, numbers)

    def _compile_leaves(
        self,
        exists: tuple[_State, ...],
        exact: dict[Hashable, list[_State]],
        literals: dict[int, list[_State]],
        text_lookups: bool,
        ranges: tuple[tuple[Exact, bool, Exact, bool, _State], ...],
        generic: tuple[tuple[ValueTest, _State], ...],
        numbers: bool,
    ) -> Reach:
        """The reach function for the positive conditions (see compile)."""
        lowered, prefixes, suffixes = self.lowered, self.prefixes, self.suffixes
        prefix_lengths, suffix_lengths = self.prefix_lengths, self.suffix_lengths

        if not (literals or text_lookups or ranges or generic or exists):

            def exact_only(leaves: Sequence[Any], out: list[_State]) -> None:
                for value in leaves:
                    kind = type(value)
                    if kind is str or kind is int:
                        hit = exact.get(value)
                    elif value is None or value is True or value is False:
                        continue
                    else:
                        number = _exact(value)
                        hit = None if number is None else exact.get(number)
                    if hit is not None:
                        out.extend(hit)

            return exact_only

        if not (exact or literals or text_lookups or generic or exists):

            def ranges_only(leaves: Sequence[Any], out: list[_State]) -> None:
                for value in leaves:
                    kind = type(value)
                    if kind is not int and (kind is not Decimal or value.is_nan()):
                        value = _exact(value)
                        if value is None:
                            continue
                    for low, low_in, high, high_in, state in ranges:
                        if value < low:
                            break
                        if (value > low or low_in) and (
                            value < high or (high_in and value == high)
                        ):
                            out.append(state)

            return ranges_only

        def reach(leaves: Sequence[Any], out: list[_State]) -> None:
            out.extend(exists)
            for value in leaves:
                if isinstance(value, str):
                    hit = exact.get(value)
                    if hit is not None:
                        out.extend(hit)
                    if text_lookups:
                        _text_lookups(
                            value, lowered, prefixes, prefix_lengths, suffixes, suffix_lengths, out
                        )
                elif value is None or value is True or value is False:
                    hit = literals.get(id(value))
                    if hit is not None:
                        out.extend(hit)
                elif numbers:
                    number = value if type(value) is int else _exact(value)
                    if number is not None:
                        hit = exact.get(number)
                        if hit is not None:
                            out.extend(hit)
                        for low, low_in, high, high_in, state in ranges:
                            if number < low:
                                break
                            if (number > low or low_in) and (
                                number < high or (high_in and number == high)
                            ):
                                out.append(state)
                for test, state in generic:
                    if test(value):
                        out.append(state)

        return reach


def _text_lookups(
    value: str,
    lowered: dict[str, list[_State]],
    prefixes: dict[str, list[_State]],
    prefix_lengths: tuple[int, ...],
    suffixes: dict[str, list[_State]],
    suffix_lengths: tuple[int, ...],
    out: list[_State],
) -> None:
    if lowered:
        hit = lowered.get(value.lower())
        if hit is not None:
            out.extend(hit)
    size = len(value)
    for length in prefix_lengths:
        if length > size:
            break
        hit = prefixes.get(value[:length])
        if hit is not None:
            out.extend(hit)
    for length in suffix_lengths:
        if length > size:
            break
        hit = suffixes.get(value[size - length :])
        if hit is not None:
            out.extend(hit)


def _bounds(arg: list[Any]) -> tuple[Exact, bool, Exact, bool]:
    """A validated numeric expression as (low, included, high, included). Open ends are
    infinities compared strictly, as patterns._range_test does (so Decimal Infinity is
    above [">", 5]'s range too)."""
    numbers = [_exact(x) for x in arg[1::2]]
    assert all(n is not None for n in numbers)  # compile_pattern accepted them
    if len(arg) == 4:
        return numbers[0], arg[0] == ">=", numbers[1], arg[2] == "<="  # type: ignore[return-value]
    op, bound = arg[0], numbers[0]
    assert bound is not None
    if op == "=":
        return bound, True, bound, True
    if op in (">", ">="):
        return bound, op == ">=", _INFINITY, False
    return -_INFINITY, False, bound, op == "<="


class _State:
    """A trie node: the rules whose conjunction ends here, and the steps onwards."""

    __slots__ = ("_by_path", "calls", "rules", "shared", "steps")

    def __init__(self) -> None:
        self.rules: list[int] = []  # rules ending here and nowhere else, in given order
        self.shared: list[int] = []  # rules that end at other nodes too (split, $or)
        self.steps: list[_Step] = []
        self._by_path: dict[str, _Step] = {}
        # (path, how its conditions are looked up, nodes reached when it has no leaf,
        # whether one leaf may reach a node twice)
        self.calls: tuple[tuple[str, Reach, tuple[_State, ...], bool], ...] = ()

    def finish(self, ends: dict[int, int]) -> None:
        """Freeze this node and those below for matching; ends counts the nodes each
        rule ends at (one event can reach several of them: those need deduplicating)."""
        self.shared = [r for r in self.rules if ends[r] > 1]
        self.rules = [r for r in self.rules if ends[r] == 1]
        self.calls = tuple(
            (
                step.path,
                step.compile(),
                # A path with no leaf holds no excluded value either.
                (*step.absent, *(state for _, state in step.excluding)),
                step.lists,
            )
            for step in self.steps
        )
        for step in self.steps:
            for child in step.children.values():
                child.finish(ends)

    def step(self, path: str) -> _Step:
        found = self._by_path.get(path)
        if found is None:
            found = self._by_path[path] = _Step(path)
            self.steps.append(found)
        return found


# --- patterns to conjunctions ------------------------------------------------------


def _expand(root: _Node) -> list[list[Condition]]:
    """The pattern as an OR of ANDs of conditions. A leaf's alternatives are ORed, so
    they are split into conjunctions of their own when that stays small: then
    {"game": ["a", "b"], ...} shares the node game = "a" with every other rule on "a",
    instead of owning a node for the list ["a", "b"]."""
    split = _conjunctions(root, split=True)
    return split if len(split) <= _SPLIT_LIMIT else _conjunctions(root, split=False)


def _conjunctions(node: _Node, *, split: bool) -> list[list[Condition]]:
    """OR of ANDs of (path key, alternatives); nested objects become paths."""
    result: list[list[Condition]] = [[]]
    for check in node.checks:
        if isinstance(check, _Leaf):
            path = _path_key(check.path)
            if split:
                options = [[(path, [alternative])] for alternative in check.source]
            else:
                options = [[(path, check.source)]]
        elif isinstance(check, _Nested):
            options = _conjunctions(check.node, split=split)
        else:
            assert isinstance(check, _Or)
            options = [c for b in check.branches for c in _conjunctions(b, split=split)]
        result = [left + right for left in result for right in options]
    return result


def _path_key(path: tuple[str, ...]) -> str:
    # One string per field path: unambiguous whatever the keys hold, and a str caches
    # its hash (a tuple does not), which the per-event look-ups benefit from.
    return json.dumps(path)


def _pure_exact(alternatives: list[Any]) -> bool:
    return all(
        isinstance(a, str) or (_exact(a) is not None and not isinstance(a, bool))
        for a in alternatives
    )


# --- document flattening -----------------------------------------------------------


# One level of the pattern paths: (key, path key) for the leaves patterns test here, and
# (key, level below) for the objects they descend into.
class _Level:
    __slots__ = ("branches", "leaves")

    def __init__(self) -> None:
        self.leaves: list[tuple[str, str]] = []
        self.branches: dict[str, _Level] = {}


def _walk(obj: Mapping[str, Any], level: _Level, out: dict[str, list[Any]], merge: bool) -> bool:
    """File the leaves at every pattern path under obj into out; True when it went
    through an array holding two or more objects (array consistency not guaranteed).
    merge: below an array, where several objects add to the same path."""
    for key, path in level.leaves:
        value = obj.get(key, _NO_LEAVES)
        if value is _NO_LEAVES:
            continue
        if type(value) in _SCALAR_TYPES:
            value = [value]
        elif isinstance(value, list | tuple):
            value = _flatten(value, [])
            if not value:
                continue
        elif isinstance(value, Mapping):
            continue  # an object is no leaf
        else:
            value = [value]
        if merge and path in out:
            out[path].extend(value)
        else:
            out[path] = value
    tangled = False
    for key, below in level.branches.items():
        value = obj.get(key)
        if type(value) is dict or isinstance(value, Mapping):
            tangled = _walk(value, below, out, merge) or tangled
        elif isinstance(value, list | tuple):
            objects = _objects(value, [])
            tangled = tangled or len(objects) > 1
            for item in objects:
                tangled = _walk(item, below, out, True) or tangled
    return tangled


# --- the automaton -----------------------------------------------------------------


class PatternAutomaton(Generic[T]):
    """All patterns of, say, one detail-type in one trie; matching(doc) returns the
    items whose pattern matches doc, in the order they were given, exactly as
    evaluating each Matcher would."""

    def __init__(self, items: Iterable[tuple[T, Matcher]]) -> None:
        self._items: list[T] = []
        self._checks: list[Callable[[Mapping[str, Any], Mapping[str, Any]], bool]] = []
        expanded: list[list[list[Condition]]] = []
        for item, matcher in items:
            self._items.append(item)
            self._checks.append(matcher._match)
            expanded.append(_expand(matcher._root))

        # Paths that many conjunctions pin to exact values go first: their dict look-up
        # prunes the most.
        pinned: dict[str, int] = {}
        for conjunctions in expanded:
            for conjunction in conjunctions:
                for path, alternatives in conjunction:
                    if _pure_exact(alternatives):
                        pinned[path] = pinned.get(path, 0) + 1
        paths = sorted(
            {path for cs in expanded for c in cs for path, _ in c},
            key=lambda p: (-pinned.get(p, 0), p),
        )
        rank = {path: i for i, path in enumerate(paths)}

        self._root = _State()
        self._states = 1
        for position, conjunctions in enumerate(expanded):
            for conjunction in conjunctions:
                self._insert(position, conjunction, rank)
        ends: dict[int, int] = {}
        stack = [self._root]
        while stack:
            state = stack.pop()
            for rule in state.rules:
                ends[rule] = ends.get(rule, 0) + 1
            stack.extend(c for step in state.steps for c in step.children.values())
        self._root.finish(ends)
        self._tree = _path_tree(tuple(json.loads(p)) for p in paths)

    def _insert(self, position: int, conjunction: list[Condition], rank: dict[str, int]) -> None:
        # Keyed by text: a condition written twice in one conjunction is one step.
        keyed = {(path, _render(alternatives)): alternatives for path, alternatives in conjunction}
        state = self._root
        for path, text in sorted(keyed, key=lambda k: (rank[k[0]], k[1])):
            step = state.step(path)
            before = len(step.children)
            state = step.child(text, keyed[path, text])
            self._states += len(step.children) - before
        if not state.rules or state.rules[-1] != position:
            state.rules.append(position)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def states(self) -> int:
        """Trie nodes (a measure of how much the patterns share)."""
        return self._states

    def matching(self, doc: Mapping[str, Any]) -> list[T]:
        """Items whose pattern matches doc, in the order they were given (stable)."""
        leaves: dict[str, list[Any]] = {}
        tangled = _walk(doc, self._tree, leaves, False)
        hits: list[list[int]] = []
        shared: list[list[int]] = []
        stack = [self._root]
        pop, push, get = stack.pop, stack.extend, leaves.get
        while stack:
            state = pop()
            if state.rules:
                hits.append(state.rules)
            if state.shared:
                shared.append(state.shared)
            for path, reach, absent, lists in state.calls:
                found = get(path)  # never an empty list: _walk only files leaves it found
                if found is None:
                    if absent:
                        push(absent)
                elif len(found) == 1 and not lists:
                    reach(found, stack)  # one leaf, one alternative per node: no repeats
                else:
                    # Several leaves (an array [5, 6] against >= 1), or a list of
                    # alternatives ("", "a" as prefixes), can reach one node twice.
                    reached: list[_State] = []
                    reach(found, reached)
                    push(dict.fromkeys(reached))
        if shared:
            # Timsort merges the already sorted runs in about linear time.
            positions = sorted(chain(*hits, set().union(*shared)))
        elif len(hits) > 1:
            positions = sorted(chain.from_iterable(hits))
        elif hits:
            positions = hits[0]
        else:
            return []
        if tangled:
            checks = self._checks
            positions = [i for i in positions if checks[i](doc, doc)]
            if not positions:
                return []
        if len(positions) == 1:
            return [self._items[positions[0]]]
        return list(itemgetter(*positions)(self._items))


def _path_tree(paths: Iterable[tuple[str, ...]]) -> _Level:
    root = _Level()
    for keys in paths:
        level = root
        for key in keys[:-1]:
            level = level.branches.setdefault(key, _Level())
        level.leaves.append((keys[-1], _path_key(keys)))
    return root
