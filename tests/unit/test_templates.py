"""Safe message templates: syntax, rendering, sandboxing and the no-raw-placeholder promise."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.messaging.templates import (
    CompiledTemplate,
    TemplateError,
    parse_template,
    validate_template,
)

NAMES = ["first_name", "points_balance", "bonus_amount", "expires_on", "vip"]


def render(source: str, values: Mapping[str, object] | None = None, *, html: bool = False) -> str:
    return parse_template(source).render({} if values is None else values, html=html)


class _Sneaky:
    """An object whose str/repr/format look like placeholders or reprs."""

    first_name = "attribute access"

    def __str__(self) -> str:
        return "{{first_name}}"

    def __repr__(self) -> str:
        return "<_Sneaky object at 0xdeadbeef>"

    def __format__(self, spec: str) -> str:
        return "[FIRST_NAME]"


class _LoudStr(str):
    def __str__(self) -> str:
        return "{{hacked}}"


class _ExplodingMapping(Mapping[str, object]):
    """Reading any key but first_name fails the test: rendering must look up only what it uses."""

    def __getitem__(self, key: str) -> object:
        if key != "first_name":
            raise AssertionError(f"looked up {key!r}")
        return "Olena"

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("iterated the values")

    def __len__(self) -> int:
        raise AssertionError("took the length of the values")

    def __contains__(self, key: object) -> bool:
        return key == "first_name"


# --- parsing -------------------------------------------------------------------------------


def test_given_a_template_when_parsed_then_it_lists_the_variables_it_references():
    template = parse_template('Hi {{ first_name | "friend" }}, you have {{points_balance}} pts')
    assert template.variables == frozenset({"first_name", "points_balance"})


def test_given_a_template_when_parsed_then_it_keeps_its_source():
    assert parse_template("Hi {{ first_name }}").source == "Hi {{ first_name }}"


def test_given_a_dotted_name_when_parsed_then_the_variable_is_the_full_dotted_name():
    assert parse_template("{{ player.first_name }}").variables == {"player.first_name"}


def test_given_text_without_placeholders_when_parsed_then_it_has_no_variables():
    assert parse_template("Welcome back!").variables == frozenset()


def test_compiled_templates_with_the_same_source_are_equal():
    assert parse_template("Hi {{ a }}") == parse_template("Hi {{ a }}")
    assert isinstance(parse_template(""), CompiledTemplate)


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("Hi {{ first_name", "unclosed {{", 3),
        ("Hi {{ first_name, welcome", "unclosed {{", 3),
        ("Hi {{first_name}\nnext", "unclosed {{", 3),
        ("{{ a {{ b }}", "unclosed {{ before the next {{", 0),
        ("Hi {{ }}", "empty placeholder", 6),
        ('Hi {{ | "friend" }}', "empty placeholder", 6),
        ("{{ first_name | 'friend' }}", "plain double quotes", 16),
        ("{{ first_name | \u201cfriend\u201d }}", "plain double quotes", 16),
        ('{{ first_name | "friend }}', "missing its closing double quote", 16),
        ("{{ first_name | }}", "missing fallback", 16),
        ("{{ first_name | upper }}", "filters are not supported", 16),
        ('{{ first_name | "a\\n" }}', 'only \\" and \\\\ can be escaped', 18),
        ('{{ first_name | "{x}" }}', "fallback text may not contain { or }", 16),
        ('{{ first_name | "a" "b" }}', "unexpected", 20),
        ("{{ First_Name }}", "use first_name", 3),
        ("{{ first-name }}", "use first_name", 3),
        ("{{ player..name }}", "invalid variable name", 3),
        ("{{ 1st }}", "invalid variable name", 3),
        ("{{ first name }}", "cannot contain spaces", 9),
        ("{{ {first_name} }}", "nested braces", 3),
        ("{{ first_name { }}", "nested braces", 14),
        ("{{{ first_name }}}", "{{{ is not supported", 0),
        ("{{ first_name }}}", "not }}}", 16),
        ("Price }} now", "unmatched }}", 6),
        ("{% if vip %}VIP{% endif %}", "template logic", 0),
        ("{{ 'text' }}", "double quotes", 3),
        ("{{ \u0456\u043c\u044f }}", "expected a variable name", 3),
    ],
)
def test_given_bad_syntax_when_parsed_then_template_error_names_the_problem_and_offset(
    source, message, position
):
    with pytest.raises(TemplateError) as caught:
        parse_template(source)
    assert message in caught.value.message
    assert caught.value.position == position


def test_given_an_error_on_a_later_line_when_parsed_then_the_message_gives_line_and_column():
    with pytest.raises(TemplateError, match=r"line 2, column 4"):
        parse_template("Hello\nHi {{ first_name")


def test_template_error_is_a_value_error():
    assert issubclass(TemplateError, ValueError)


@given(st.text(alphabet="{}|\" ab._\\\n'%", max_size=40))
def test_any_text_either_parses_or_raises_template_error_and_nothing_else(source):
    position = 0
    try:
        parse_template(source)
    except TemplateError as exc:
        position = exc.position
    assert 0 <= position <= len(source)


# --- rendering values ----------------------------------------------------------------------


def test_given_a_value_when_rendered_then_it_replaces_the_placeholder():
    assert render("Hi {{ first_name }}!", {"first_name": "Olena"}) == "Hi Olena!"


def test_given_spacing_inside_braces_when_rendered_then_it_makes_no_difference():
    assert render("{{first_name}}|{{  first_name\t}}", {"first_name": "Ann"}) == "Ann|Ann"


def test_given_a_missing_value_with_a_fallback_when_rendered_then_the_fallback_is_used():
    assert render('Hi {{ first_name | "friend" }}!', {}) == "Hi friend!"


def test_given_an_escaped_quote_in_a_fallback_when_rendered_then_it_is_a_plain_quote():
    assert render(r'{{ nick | "the \"lucky\" one \\ ok" }}', {}) == 'the "lucky" one \\ ok'


@pytest.mark.parametrize("missing", [None, "", "   ", [], {}, ["Ann"], {"a": 1}, 1.5, object()])
def test_given_a_missing_or_unsupported_value_when_rendered_then_the_fallback_is_used(missing):
    assert render('{{ first_name | "friend" }}', {"first_name": missing}) == "friend"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Olena", "Olena"),
        ("  Olena \n", "Olena"),
        (1500, "1500"),
        (0, "0"),
        (-3, "-3"),
        (Decimal("25.50"), "25.50"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.5E-3"), "0.0015"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("0.1") + Decimal("0.2"), "0.3"),
        (date(2025, 3, 14), "2025-03-14"),
        (datetime(2025, 3, 14, 23, 30, tzinfo=timezone(timedelta(hours=2))), "2025-03-14"),
        (True, "yes"),
        (False, "no"),
    ],
)
def test_given_a_supported_value_when_rendered_then_it_is_shown_plainly(value, expected):
    assert render("{{ v }}", {"v": value}) == expected


@pytest.mark.parametrize(
    "value",
    [
        "{{first_name}}",
        "Hi {{ name }}",
        "[FIRST_NAME]",
        "%FIRST_NAME%",
        "*|FNAME|*",
        "{first_name}",
        "${first_name}",
        "None",
        "null",
        "undefined",
        "NaN",
        "[object Object]",
        "<Player object at 0x7f3a2c1b9d90>",
        "{'first_name': 'Ann'}",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1E+100000"),
        10**5000,
        _Sneaky(),
        _LoudStr("   "),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_given_a_value_that_looks_like_a_placeholder_or_leaked_non_value_then_fallback_is_used(
    value,
):
    assert render('{{ first_name | "friend" }}', {"first_name": value}) == "friend"


def test_given_a_str_subclass_when_rendered_then_its_own_str_override_is_not_used():
    assert render("{{ first_name }}", {"first_name": _LoudStr("Ann")}) == "Ann"


def test_given_a_nested_mapping_when_a_dotted_name_is_rendered_then_it_is_looked_up_inside():
    assert render("{{ player.first_name }}", {"player": {"first_name": "Ann"}}) == "Ann"


def test_given_a_flat_dotted_key_when_a_dotted_name_is_rendered_then_the_flat_key_is_used():
    assert render("{{ player.first_name }}", {"player.first_name": "Ann"}) == "Ann"


def test_given_an_object_with_attributes_when_a_dotted_name_is_rendered_then_no_getattr_happens():
    assert render('{{ player.first_name | "friend" }}', {"player": _Sneaky()}) == "friend"


def test_given_dunder_looking_names_when_rendered_then_nothing_outside_the_values_is_reached():
    source = '{{ first_name.__class__ | "a" }}{{ __class__ | "b" }}'
    with pytest.raises(TemplateError):
        parse_template(source)
    assert render('{{ first_name.upper | "x" }}', {"first_name": "ann"}) == "x"


def test_given_a_mapping_when_rendered_then_only_the_referenced_keys_are_read():
    assert render("Hi {{ first_name }}", _ExplodingMapping()) == "Hi Olena"


def test_given_a_literal_brace_tag_when_rendered_then_the_braces_appear_as_text():
    assert render('Use {{ "{{" }} first_name {{ "}}" }} in templates') == (
        "Use {{ first_name }} in templates"
    )


# --- HTML escaping -------------------------------------------------------------------------


def test_given_html_mode_when_a_value_has_markup_then_it_is_escaped():
    out = render("<p>{{ first_name }}</p>", {"first_name": '<img src=x onerror="x">'}, html=True)
    assert out == "<p>&lt;img src=x onerror=&quot;x&quot;&gt;</p>"


def test_given_html_mode_when_the_fallback_is_used_then_it_is_escaped_too():
    assert render('<p>{{ first_name | "Tom & Jerry" }}</p>', {}, html=True) == (
        "<p>Tom &amp; Jerry</p>"
    )


def test_given_text_mode_when_a_value_has_markup_then_it_is_left_as_is():
    assert render("{{ first_name }}", {"first_name": "Tom & <Jerry>"}) == "Tom & <Jerry>"


def test_given_html_mode_when_rendered_then_the_template_markup_itself_is_not_escaped():
    assert render('<b>Hi</b> {{ x | "there" }} &amp;', {}, html=True) == "<b>Hi</b> there &amp;"


# --- whitespace cleanup --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hi {{first_name}}, welcome", "Hi, welcome"),
        ("Hi {{ first_name }}!", "Hi!"),
        ("Hello, {{ first_name }}!", "Hello!"),
        ("Hello {{ first_name }} and welcome", "Hello and welcome"),
        ("{{ first_name }} welcome", "welcome"),
        ("Thanks {{ first_name }}", "Thanks"),
        ("Hi {{ first_name }}\nNew line", "Hi\nNew line"),
        ("Hi {{ title }} {{ first_name }}, ok", "Hi, ok"),
        ("Dear {{ first_name }} .", "Dear."),
    ],
)
def test_given_an_empty_value_without_fallback_when_rendered_then_spacing_is_repaired(
    source, expected
):
    assert render(source) == expected


def test_given_a_present_value_when_rendered_then_surrounding_spacing_is_untouched():
    assert render("Hi {{ first_name }} , ok", {"first_name": "Ann"}) == "Hi Ann , ok"


# --- validation against known variables ----------------------------------------------------


def test_given_only_known_variables_when_validated_then_there_are_no_problems():
    template = parse_template("Hi {{ first_name }}, {{ points_balance }} points")
    assert validate_template(template, NAMES) == []


def test_given_an_unknown_variable_when_validated_then_the_message_names_it_and_suggests_a_fix():
    problems = validate_template(parse_template("Hi {{ frist_name }}"), NAMES)
    assert problems == ["unknown variable 'frist_name' (did you mean first_name?)"]


def test_given_an_unknown_variable_with_no_close_match_when_validated_then_no_guess_is_offered():
    assert validate_template(parse_template("{{ iban }}"), NAMES) == ["unknown variable 'iban'"]


@pytest.mark.parametrize("text", ["[FIRST_NAME]", "%first_name%", "{first_name}", "${first_name}"])
def test_given_another_tools_placeholder_in_the_text_when_validated_then_it_is_reported(text):
    problems = validate_template(parse_template(f"Hi {text}!"), NAMES)
    assert problems == [
        f"{text!r} looks like another tool's placeholder; write {{{{ first_name }}}}"
    ]


def test_given_bracketed_words_that_are_not_variables_when_validated_then_they_are_not_reported():
    assert validate_template(parse_template("[NEW] slots, 100% fun"), NAMES) == []


# --- properties: no raw placeholder, no repr, ever -----------------------------------------

# Text values free of brackets, so any bracket in the output must come from a leaked repr.
_plain_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="[](){}<>"),
    max_size=12,
)
_placeholder_like = st.sampled_from(
    ["{{first_name}}", "{{", "}}", "{", "}", "[FIRST_NAME]", "None", "{'a': 1}", "[1, 2]"]
)
_scalars = (
    st.none()
    | _plain_text
    | st.integers()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(UTC))
    | st.booleans()
    | st.floats()
    | st.builds(object)
    | st.builds(_Sneaky)
)


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return (
        st.lists(children, max_size=3)
        | st.tuples(children)
        | st.dictionaries(st.sampled_from([*NAMES, "x"]), children, max_size=3)
        | st.frozensets(st.integers(), max_size=2)
    )


_values = st.recursive(_scalars, _containers, max_leaves=8)
_value_maps = st.dictionaries(st.sampled_from([*NAMES, "player"]), _values, max_size=6)

_TEMPLATES = [
    parse_template(source)
    for source in [
        "Hi {{ first_name }}, you have {{ points_balance }} points!",
        'Hi {{ first_name | "friend" }} - {{ player.first_name | "you" }}.',
        "{{ bonus_amount }} EUR until {{ expires_on }}; VIP: {{ vip }}",
        "{{first_name}}{{points_balance}}{{ player.vip }}",
    ]
]


@given(st.sampled_from(_TEMPLATES), _value_maps, st.booleans())
def test_for_any_values_the_output_has_no_braces_no_reprs_and_no_object_addresses(
    template, values, html
):
    out = template.render(values, html=html)
    assert not set(out) & set("[](){}<>")
    assert "object at 0x" not in out


@given(
    st.sampled_from(_TEMPLATES),
    st.dictionaries(
        st.sampled_from([*NAMES, "player"]),
        st.recursive(st.text() | _placeholder_like, _containers),
    ),
    st.booleans(),
)
def test_for_any_text_values_the_output_never_contains_a_double_brace(template, values, html):
    out = template.render(values, html=html)
    assert "{{" not in out
    assert "}}" not in out


_text_pieces = st.text(alphabet=st.sampled_from(list("ab ,.!{}\n")), max_size=6)
_fallbacks = st.text(alphabet=st.sampled_from(list('ab ,"\\')), max_size=5)


@st.composite
def _generated_templates(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 5))):
        pieces.append(draw(_text_pieces))
        name = draw(st.sampled_from([*NAMES, "player.first_name"]))
        if draw(st.booleans()):
            escaped = draw(_fallbacks).replace("\\", "\\\\").replace('"', '\\"')
            pieces.append(f'{{{{ {name} | "{escaped}" }}}}')
        else:
            pieces.append(f"{{{{{name}}}}}")
    pieces.append(draw(_text_pieces))
    return "".join(pieces)


@given(_generated_templates(), _value_maps, st.booleans())
def test_for_any_generated_template_that_parses_the_output_never_contains_a_double_brace(
    source, values, html
):
    try:
        template = parse_template(source)
    except TemplateError:
        return
    out = template.render(values, html=html)
    assert "{{" not in out
    assert "}}" not in out


@given(st.text(alphabet='{}|" ab._\\\n', max_size=40), _value_maps)
def test_for_any_source_without_literal_tags_the_output_never_contains_a_double_brace(
    source, values
):
    try:
        template = parse_template(source)
    except TemplateError:
        return
    if re.search(r'\{\{[ \t]*"', source):
        return  # a quoted literal may print braces on purpose
    out = template.render(values)
    assert "{{" not in out
    assert "}}" not in out
