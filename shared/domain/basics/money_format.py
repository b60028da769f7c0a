"""Prices as a shopper reads them in their language: "€1,234.50", "1.234,50 €", "1 234,50 ₴".

Pure and small on purpose: the conventions of the languages operators use (CLDR's patterns
for them, written out), not a locale database. A language not listed gets the English
pattern, which every reader understands. Amounts are Decimal, never float, and are rounded
half-up to the currency's minor unit (0 for JPY/KRW, 3 for BHD/KWD/OMR/TND, else 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NBSP = "\u00a0"
NNBSP = "\u202f"

_SYMBOLS = {
    "EUR": "€",
    "GBP": "£",
    "USD": "$",
    "UAH": "₴",
    "JPY": "¥",
    "PLN": "zł",
    "INR": "₹",
    "TRY": "₺",
    "KRW": "₩",
    "BRL": "R$",
    "SEK": "kr",
    "NOK": "kr",
    "DKK": "kr",
}
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}


@dataclass(frozen=True)
class _Style:
    group: str
    decimal: str
    # "{n}" is the number, "{s}" the symbol.
    pattern: str


_EN = _Style(",", ".", "{s}{n}")
_STYLES = {
    "en": _EN,
    "de": _Style(".", ",", "{n}" + NBSP + "{s}"),
    "es": _Style(".", ",", "{n}" + NBSP + "{s}"),
    "it": _Style(".", ",", "{n}" + NBSP + "{s}"),
    "pt": _Style(".", ",", "{n}" + NBSP + "{s}"),
    "nl": _Style(".", ",", "{s}" + NBSP + "{n}"),
    "fr": _Style(NNBSP, ",", "{n}" + NBSP + "{s}"),
    "uk": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "pl": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "cs": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "sv": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "nb": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "fi": _Style(NBSP, ",", "{n}" + NBSP + "{s}"),
    "ja": _Style(",", ".", "{s}{n}"),
}
# Regions whose convention differs from their language's default.
_REGIONS = {
    "de-CH": _Style("\u2019", ".", "{s}" + NBSP + "{n}"),
    "pt-BR": _Style(".", ",", "{s}" + NBSP + "{n}"),
}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_money(amount: Decimal, currency: str, locale: str | None) -> str:
    """`amount` in `currency` written for `locale` (BCP 47; None reads as English)."""
    style = _REGIONS.get(locale or "") or _STYLES.get((locale or "en").split("-")[0], _EN)
    places = minor_units(currency)
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    number = _group(whole, style.group) + (style.decimal + fraction if places else "")
    # A known symbol, or the ISO code (with a space, as CLDR writes codes).
    symbol = _SYMBOLS.get(currency)
    if symbol is None:
        text = style.pattern.format(n=number, s=currency + NBSP).replace(NBSP + NBSP, NBSP)
        if text.endswith(NBSP):
            text = text[:-1]
        return sign + text
    return sign + style.pattern.format(n=number, s=symbol)


def as_decimal(value: object) -> Decimal | None:
    """A money amount from a message variable: a Decimal, an int, or a decimal string (an
    outbox item's JSON keeps amounts as exact strings). Floats are refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() and abs(parsed.adjusted()) < 30 else None
    return None
