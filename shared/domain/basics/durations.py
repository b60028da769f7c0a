"""ISO 8601 durations for rules and timers: whole weeks, days, hours, minutes and seconds.

Years and months are refused on purpose: "P1M" after 31 January has no single answer, and a
timer that fires on a different day than the marketer expected is worse than an error.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = [
    "DURATION_JSON_PATTERN",
    "DurationError",
    "IsoDuration",
    "format_duration",
    "parse_duration",
]

# [0-9] rather than \d: \d also matches other scripts' digits, which int() would accept.
_DURATION = re.compile(
    r"P(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?"
)

DURATION_JSON_PATTERN = (
    r"^P(?!$)(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?)?$"
)
"""The accepted syntax as an ECMA-262 regex, for JSON Schema consumers (editors, UIs)."""

# Longer numbers than this cannot fit a timedelta anyway; checking the length first keeps
# int() away from huge digit strings.
_MAX_DIGITS = 15

_EXAMPLES = "e.g. P7D, PT12H, P1DT12H or PT90M"


class DurationError(ValueError):
    """A duration string is not one this system accepts; the message says how to fix it."""


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration made of weeks, days, hours, minutes and seconds."""
    if not isinstance(text, str):
        raise DurationError(f"a duration must be an ISO 8601 string ({_EXAMPLES})")
    if text == "":
        raise DurationError(f"empty duration: write an ISO 8601 duration, {_EXAMPLES}")
    if text != text.strip():
        raise DurationError(f"duration {text!r} has surrounding spaces")
    _explain_common_mistakes(text)
    match = _DURATION.fullmatch(text)
    if match is None:
        raise DurationError(
            f"{text!r} is not a supported ISO 8601 duration: use whole numbers with W, D, "
            f"then T and H, M, S in that order, {_EXAMPLES}"
        )
    parts = match.groupdict()
    if all(value is None for value in parts.values()):
        raise DurationError(f"{text!r} has no amount: {_EXAMPLES}")
    if text.endswith("T"):
        raise DurationError(f"{text!r} ends with T but has no hours, minutes or seconds")
    if any(value is not None and len(value) > _MAX_DIGITS for value in parts.values()):
        raise DurationError(f"{text!r} is too long a duration")
    amounts = {unit: int(value) for unit, value in parts.items() if value is not None}
    try:
        return timedelta(**amounts)
    except OverflowError as exc:
        raise DurationError(f"{text!r} is too long a duration") from exc


def _explain_common_mistakes(text: str) -> None:
    # Specific messages for the mistakes people actually make; the generic one is a fallback.
    if not text.isascii():
        raise DurationError(f"{text!r} is not a supported ISO 8601 duration, {_EXAMPLES}")
    if text.startswith(("-", "+")):
        raise DurationError(f"{text!r}: negative or signed durations are not supported")
    if not text.startswith("P"):
        if text.upper().startswith("P"):
            raise DurationError(f"{text!r}: write the designators in upper case, e.g. PT90M")
        raise DurationError(f"{text!r} must start with P, {_EXAMPLES}")
    if text != text.upper():
        raise DurationError(f"{text!r}: write the designators in upper case, e.g. PT90M")
    if "." in text or "," in text:
        raise DurationError(
            f"{text!r}: fractional amounts are not supported; use a smaller unit "
            "(PT90M rather than PT1.5H)"
        )
    date_part = text[1:].split("T", 1)[0]
    if "Y" in date_part:
        raise DurationError(
            f"{text!r}: years are not supported because their length is ambiguous "
            "(leap years); use days, e.g. P365D"
        )
    if "M" in date_part:
        raise DurationError(
            f"{text!r}: months are not supported because their length is ambiguous "
            "(28 to 31 days); use days, e.g. P30D (minutes are PT…M)"
        )
    if "T" not in text and any(unit in date_part for unit in "HS"):
        raise DurationError(f"{text!r}: hours and seconds need the T separator, e.g. PT12H")


def format_duration(value: timedelta) -> str:
    """Canonical ISO 8601 form of a non-negative whole-second timedelta (days, not weeks)."""
    if value < timedelta(0):
        raise DurationError(f"negative durations are not supported: {value}")
    if value.microseconds:
        raise DurationError(f"durations are whole seconds; {value} has a fraction")
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = f"{value.days}D" if value.days else ""
    time_part = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S"))
        if amount
    )
    if not date_part and not time_part:
        return "PT0S"
    return f"P{date_part}{'T' + time_part if time_part else ''}"


def _validate_iso_duration(value: Any) -> timedelta:
    # Numbers are refused rather than read as seconds: "3600" vs "PT1H" must not be guesswork.
    if isinstance(value, timedelta):
        format_duration(value)  # same limits as parsed input: whole seconds, not negative
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise DurationError(f"expected an ISO 8601 duration string, {_EXAMPLES}")


IsoDuration = Annotated[
    timedelta,
    BeforeValidator(_validate_iso_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_JSON_PATTERN,
            "description": "ISO 8601 duration in weeks, days, hours, minutes, seconds "
            "(no years or months), e.g. P1DT12H.",
            "examples": ["PT90M", "P1DT12H", "P7D"],
        }
    ),
]
"""A timedelta that reads and writes as an ISO 8601 duration string in JSON."""
