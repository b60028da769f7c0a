"""PatternAutomaton (shared/domain/language/pattern_automaton.py): many patterns in one trie.

The reference is patterns.Matcher evaluated rule by rule: the automaton must give the
same answer on every document. The generated patterns and documents come from the
strategies of test_patterns.py (arrays of objects, exists false, anything-but over
types, int/float/Decimal mixing, $or at any level, wildcard, equals-ignore-case), with
cidr and the does-not-contain extension added here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain.language.pattern_automaton import PatternAutomaton
from shared.domain.language.patterns import compile_pattern
from tests.unit.test_patterns import _anything_but, documents_for, patterns


def automaton(*pattern_list: dict[str, Any]) -> PatternAutomaton[int]:
    return PatternAutomaton((i, compile_pattern(p)) for i, p in enumerate(pattern_list))


def one_by_one(pattern_list: list[dict[str, Any]], doc: dict[str, Any]) -> list[int]:
    return [i for i, p in enumerate(pattern_list) if compile_pattern(p).matches(doc)]


# --- behaviour ---------------------------------------------------------------------------


def test_given_patterns_when_several_match_then_they_come_in_the_order_given() -> None:
    rules = automaton({"a": ["x"]}, {"b": [1]}, {"a": [{"prefix": "x"}]}, {"a": ["y"]})
    assert rules.matching({"a": "x", "b": 1}) == [0, 1, 2]


def test_given_an_int_condition_when_the_doc_has_an_equal_decimal_or_float_then_it_matches() -> (
    None
):
    rules = automaton({"n": [5]}, {"n": [0.1]})
    assert rules.matching({"n": Decimal("5.00")}) == [0]
    assert rules.matching({"n": 5.0}) == [0]
    assert rules.matching({"n": Decimal("0.10")}) == [1]


def test_given_a_one_condition_when_the_doc_has_true_then_it_does_not_match() -> None:
    rules = automaton({"n": [1]}, {"n": [True]})
    assert rules.matching({"n": True}) == [1]
    assert rules.matching({"n": 1}) == [0]


def test_given_fields_in_different_array_elements_when_matched_then_no_match() -> None:
    rules = automaton({"a": {"b": [1], "c": [2]}})
    assert rules.matching({"a": [{"b": 1}, {"c": 2}]}) == []
    assert rules.matching({"a": [{"b": 1}, {"b": 1, "c": 2}]}) == [0]


def test_given_exists_false_under_an_array_when_any_element_has_the_field_then_no_match() -> None:
    rules = automaton({"a": {"b": [{"exists": False}]}})
    assert rules.matching({"a": [{"b": 1}, {"c": 1}]}) == []
    assert rules.matching({"a": [{"c": 1}, {"c": 2}]}) == [0]


def test_given_anything_but_a_string_when_the_field_is_a_number_or_null_then_it_matches() -> None:
    rules = automaton({"a": [{"anything-but": "x"}]})
    assert rules.matching({"a": 5}) == [0]
    assert rules.matching({"a": None}) == [0]
    assert rules.matching({"a": "x"}) == []
    assert rules.matching({}) == []


def test_given_an_or_inside_a_nested_object_when_a_branch_holds_then_it_matches() -> None:
    rules = automaton({"a": {"$or": [{"b": ["x"]}, {"c": [{"numeric": [">", 3]}]}], "d": [1]}})
    assert rules.matching({"a": {"c": 4, "d": 1}}) == [0]
    assert rules.matching({"a": {"c": 3, "d": 1}}) == []


def test_given_prefix_suffix_and_ignore_case_when_the_string_fits_then_each_matches() -> None:
    rules = automaton(
        {"s": [{"prefix": "ab"}]},
        {"s": [{"suffix": "yz"}]},
        {"s": [{"equals-ignore-case": "ABXYZ"}]},
        {"s": [{"prefix": ""}]},
        {"s": [{"wildcard": "a*z"}]},
    )
    assert rules.matching({"s": "abxyz"}) == [0, 1, 2, 3, 4]
    assert rules.matching({"s": "b"}) == [3]


def test_given_a_cidr_when_the_ip_is_inside_then_it_matches() -> None:
    rules = automaton({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": [{"cidr": "2001:db8::/32"}]})
    assert rules.matching({"ip": "10.0.0.7"}) == [0]
    assert rules.matching({"ip": "2001:db8::1"}) == [1]
    assert rules.matching({"ip": "10.0.1.7"}) == []


def test_given_rules_sharing_a_condition_when_compiled_then_they_share_its_node() -> None:
    shared = {"game": ["g1"], "stake": [{"numeric": [">=", 5]}]}
    rules = automaton(*(dict(shared) for _ in range(50)))
    assert rules.states == 3  # root, game = g1, then stake >= 5
    assert rules.matching({"game": "g1", "stake": 6}) == list(range(50))


def test_given_alternatives_multiplying_past_the_split_limit_when_matched_then_once_each() -> None:
    # 20 x 20 alternatives = 400 conjunctions: the lists stay whole, and a value that
    # fits two alternatives of one list ("", "a" as prefixes) still yields the rule once.
    many = {"a": [f"v{i}" for i in range(20)], "b": [{"prefix": ""}, {"prefix": "a"}, *range(18)]}
    rules = automaton(many, {"a": ["v3"]})
    assert rules.matching({"a": "v3", "b": "ab"}) == [0, 1]
    assert rules.matching({"a": "v3", "b": 17}) == [0, 1]
    assert rules.matching({"a": "v3", "b": 18}) == [1]


def test_given_an_open_range_when_the_value_is_decimal_infinity_then_it_answers_as_matcher() -> (
    None
):
    pattern = {"n": [{"numeric": [">", 5]}]}
    doc = {"n": Decimal("Infinity")}
    assert automaton(pattern).matching(doc) == one_by_one([pattern], doc)


def test_given_arbitrary_items_when_compiled_then_they_are_returned_as_given() -> None:
    rule = object()
    rules = PatternAutomaton([(rule, compile_pattern({"a": ["x"]}))])
    assert rules.matching({"a": "x"}) == [rule]
    assert len(rules) == 1


def test_given_does_not_contain_when_an_element_is_the_value_then_no_match() -> None:
    rules = automaton({"player": {"disliked": [{"does-not-contain": "reward:x"}]}})
    assert rules.matching({"player": {"disliked": ["y", "reward:x"]}}) == []
    assert rules.matching({"player": {"disliked": ["y"]}}) == [0]


def test_given_does_not_contain_when_the_field_is_absent_or_empty_then_it_matches() -> None:
    rules = automaton({"player": {"disliked": [{"does-not-contain": "reward:x"}]}})
    assert rules.matching({"player": {"disliked": []}}) == [0]
    assert rules.matching({"player": {}}) == [0]


def test_given_does_not_contain_under_an_array_of_objects_when_any_element_has_it_then_no_match() -> (
    None
):
    rules = automaton({"items": {"sku": [{"does-not-contain": "s-1"}]}, "n": [1]})
    assert rules.matching({"items": [{"sku": "s-2"}, {"sku": "s-1"}], "n": 1}) == []
    assert rules.matching({"items": [{"sku": "s-2"}, {"sku": "s-3"}], "n": 1}) == [0]


# --- differential property tests ---------------------------------------------------------

ADDRESSES = st.sampled_from(["10.0.0.1", "10.0.1.1", "192.168.1.9", "2001:db8::1", "::2", "x"])
CIDRS = st.sampled_from(["10.0.0.0/24", "10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), pattern_list=st.lists(patterns(booleans=True), min_size=1, max_size=10))
def test_property_automaton_answers_exactly_what_each_matcher_answers(
    data: st.DataObject, pattern_list: list[dict[str, Any]]
) -> None:
    rules = automaton(*pattern_list)
    for pattern in pattern_list[:4]:
        doc = data.draw(documents_for(pattern, aws_only=True))
        assert rules.matching(doc) == one_by_one(pattern_list, doc)


@st.composite
def with_does_not_contain(draw: st.DrawFn, pattern: dict[str, Any]) -> dict[str, Any]:
    """The pattern with a does-not-contain leaf put into one of its objects (any depth)."""
    objects = [pattern]
    stack = [pattern]
    while stack:
        obj = stack.pop()
        for key, value in obj.items():
            if isinstance(value, dict):
                objects.append(value)
                stack.append(value)
            elif key == "$or":
                objects += value
                stack += value
    target = draw(st.sampled_from(objects))
    key = draw(st.sampled_from(["a", "b", "c", "x"]))
    target[key] = [{"does-not-contain": draw(_anything_but())}]
    return pattern


# Modest: the main differential property above already spends the suite's budget here.
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    pattern_list=st.lists(patterns(booleans=True).flatmap(with_does_not_contain), max_size=6),
    plain=st.lists(patterns(booleans=True), max_size=3),
)
def test_property_automaton_agrees_with_each_matcher_on_does_not_contain(
    data: st.DataObject, pattern_list: list[dict[str, Any]], plain: list[dict[str, Any]]
) -> None:
    every = [*pattern_list, *plain]
    if not every:
        return
    rules = automaton(*every)
    for pattern in every[:4]:
        doc = data.draw(documents_for(pattern, aws_only=True))
        assert rules.matching(doc) == one_by_one(every, doc)


@st.composite
def cidr_patterns(draw: st.DrawFn) -> dict[str, Any]:
    condition = draw(
        st.lists(
            st.one_of(
                st.fixed_dictionaries({"cidr": CIDRS}),
                ADDRESSES,
                st.fixed_dictionaries(
                    {
                        "anything-but": st.fixed_dictionaries(
                            {"prefix": st.sampled_from(["10.", ":"])}
                        )
                    }
                ),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return {"ip": condition} if draw(st.booleans()) else {"net": {"ip": condition}}


@settings(max_examples=200, deadline=None)
@given(
    pattern_list=st.lists(cidr_patterns(), min_size=1, max_size=6),
    ips=st.lists(ADDRESSES, min_size=1, max_size=3),
)
def test_property_automaton_agrees_with_each_matcher_on_cidr(
    pattern_list: list[dict[str, Any]], ips: list[str]
) -> None:
    rules = automaton(*pattern_list)
    for doc in ({"ip": ips[0]}, {"net": {"ip": ips}}, {"net": [{"ip": ip} for ip in ips]}):
        assert rules.matching(doc) == one_by_one(pattern_list, doc)
