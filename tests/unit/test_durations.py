"""ISO 8601 durations: what is accepted, what is refused and why, and the pydantic type."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.domain.basics.durations import (
    DURATION_JSON_PATTERN,
    DurationError,
    IsoDuration,
    format_duration,
    parse_duration,
)


class _Rule(BaseModel):
    wait: IsoDuration


whole_second_durations = st.timedeltas(
    min_value=timedelta(0), max_value=timedelta(days=999_999)
).map(lambda td: td - timedelta(microseconds=td.microseconds))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P2W", timedelta(weeks=2)),
        ("P3D", timedelta(days=3)),
        ("PT12H", timedelta(hours=12)),
        ("PT90M", timedelta(minutes=90)),
        ("PT45S", timedelta(seconds=45)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P1W2DT3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("PT36H", timedelta(hours=36)),
        ("P0D", timedelta(0)),
        ("PT0S", timedelta(0)),
    ],
)
def test_given_a_supported_duration_when_parsed_then_it_is_the_expected_timedelta(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1M", "P2M", "P1Y", "P1Y2M3D", "P1MT2H"])
def test_given_years_or_months_when_parsed_then_it_is_refused_as_ambiguous_and_suggests_days(text):
    with pytest.raises(DurationError, match=r"ambiguous.*use days"):
        parse_duration(text)


def test_given_minutes_in_the_time_part_when_parsed_then_they_are_not_mistaken_for_months():
    assert parse_duration("PT1M") == timedelta(minutes=1)


@pytest.mark.parametrize("text", ["P", "PT"])
def test_given_a_designator_with_no_amount_when_parsed_then_it_is_refused(text):
    with pytest.raises(DurationError, match="no amount"):
        parse_duration(text)


def test_given_a_t_with_nothing_after_it_when_parsed_then_it_is_refused():
    with pytest.raises(DurationError, match="ends with T"):
        parse_duration("P1DT")


def test_given_an_empty_string_when_parsed_then_it_is_refused():
    with pytest.raises(DurationError, match="empty duration"):
        parse_duration("")


@pytest.mark.parametrize("text", ["-P1D", "-PT5M", "+P1D"])
def test_given_a_signed_duration_when_parsed_then_it_is_refused_as_negative(text):
    with pytest.raises(DurationError, match="negative"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["PT1.5H", "P0,5D", "PT0.5S"])
def test_given_a_fractional_amount_when_parsed_then_it_is_refused_with_a_smaller_unit_hint(text):
    with pytest.raises(DurationError, match=r"fractional.*smaller unit"):
        parse_duration(text)


def test_given_hours_without_the_t_separator_when_parsed_then_the_message_shows_the_fix():
    with pytest.raises(DurationError, match="T separator"):
        parse_duration("P12H")


def test_given_lower_case_designators_when_parsed_then_it_asks_for_upper_case():
    with pytest.raises(DurationError, match="upper case"):
        parse_duration("pt90m")


@pytest.mark.parametrize(
    "text",
    ["PT30M1H", "P1D2W", "P1D1D", "1D", "P1DT1D", "P 1D", " P1D", "P1D\n", "P\u0661D", "PTH"],
)
def test_given_malformed_text_when_parsed_then_it_raises_duration_error(text):
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P999999999999999W", "P" + "9" * 5000 + "D"])
def test_given_an_absurdly_long_duration_when_parsed_then_it_is_refused_not_crashed(text):
    with pytest.raises(DurationError, match="too long"):
        parse_duration(text)


def test_given_a_non_string_when_parsed_then_it_raises_duration_error():
    with pytest.raises(DurationError):
        parse_duration(3600)


def test_duration_error_is_a_value_error_so_pydantic_reports_it_as_a_validation_error():
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(days=14), "P14D"),
        (timedelta(days=1, hours=12), "P1DT12H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(seconds=59), "PT59S"),
        (timedelta(days=2, seconds=1), "P2DT1S"),
    ],
)
def test_given_a_timedelta_when_formatted_then_it_is_the_canonical_string(value, expected):
    assert format_duration(value) == expected


def test_given_a_negative_timedelta_when_formatted_then_it_is_refused():
    with pytest.raises(DurationError, match="negative"):
        format_duration(timedelta(seconds=-1))


def test_given_a_timedelta_with_microseconds_when_formatted_then_it_is_refused():
    with pytest.raises(DurationError, match="whole seconds"):
        format_duration(timedelta(seconds=1, microseconds=5))


@given(whole_second_durations)
def test_any_whole_second_duration_survives_a_format_then_parse_round_trip(value):
    assert parse_duration(format_duration(value)) == value


@given(whole_second_durations)
def test_any_formatted_duration_matches_the_published_json_schema_pattern(value):
    assert re.fullmatch(DURATION_JSON_PATTERN, format_duration(value))


@given(
    st.tuples(*(st.none() | st.integers(0, 10_000) for _ in range(5))).filter(
        lambda amounts: any(a is not None for a in amounts)
    )
)
def test_any_accepted_spelling_formats_back_to_a_canonical_string_that_parses_the_same(amounts):
    weeks, days, hours, minutes, seconds = amounts
    text = "P"
    text += f"{weeks}W" if weeks is not None else ""
    text += f"{days}D" if days is not None else ""
    time = "".join(
        f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n is not None
    )
    text += f"T{time}" if time else ""
    parsed = parse_duration(text)
    assert parse_duration(format_duration(parsed)) == parsed
    assert format_duration(parse_duration(format_duration(parsed))) == format_duration(parsed)


@given(st.text(max_size=30))
def test_any_text_either_parses_or_raises_duration_error_and_nothing_else(text):
    with contextlib.suppress(DurationError):
        parse_duration(text)


@given(st.text(alphabet="PTWDHMS0123456789", max_size=12))
def test_the_json_schema_pattern_accepts_exactly_what_the_parser_accepts(text):
    try:
        parse_duration(text)
        parsed = True
    except DurationError as exc:
        # Over-long amounts fit the pattern but not a timedelta: a range limit, not syntax.
        parsed = "too long" in str(exc)
    assert bool(re.fullmatch(DURATION_JSON_PATTERN, text)) is parsed


def test_given_an_iso_string_in_json_when_a_model_is_validated_then_it_holds_a_timedelta():
    rule = _Rule.model_validate_json('{"wait": "P1DT12H"}')
    assert rule.wait == timedelta(days=1, hours=12)


def test_given_a_model_with_a_duration_when_dumped_to_json_then_it_writes_the_iso_string():
    assert json.loads(_Rule(wait=timedelta(minutes=90)).model_dump_json()) == {"wait": "PT1H30M"}


def test_given_a_timedelta_in_python_when_a_model_is_built_then_it_is_kept():
    assert _Rule(wait=timedelta(hours=2)).wait == timedelta(hours=2)


@pytest.mark.parametrize("raw", ['"P1M"', "3600", '"-PT1H"', '"PT1.5H"', "null"])
def test_given_a_bad_duration_in_json_when_a_model_is_validated_then_it_is_a_validation_error(
    raw,
):
    with pytest.raises(ValidationError, match="wait"):
        _Rule.model_validate_json(f'{{"wait": {raw}}}')


def test_given_a_negative_timedelta_in_python_when_a_model_is_built_then_it_is_refused():
    with pytest.raises(ValidationError, match="negative"):
        _Rule(wait=timedelta(hours=-1))


def test_the_json_schema_of_a_duration_is_a_string_with_the_iso_pattern():
    schema = _Rule.model_json_schema()["properties"]["wait"]
    assert schema["type"] == "string"
    assert schema["pattern"] == DURATION_JSON_PATTERN
