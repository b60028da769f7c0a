"""What a marketer should hear about a message template before it goes out (pure).

Errors refuse the template (the config validates with them, so the console answers 400 with
the field): another tool's placeholder syntax, which would reach players raw
(`*|FNAME|*`, `[FIRST_NAME]`, `%name%`, `${name}`, `{name}`, `{{{name}}}`, `<%= name %>`),
and script in an email's HTML (`<script>`, `javascript:` links, `on…=` handlers), which mail
clients strip and spam filters punish.

Warnings do not refuse; the console shows them on save: an SMS longer than one segment
(each segment is billed: 160 GSM-7 characters, or 70 when any character needs UCS-2, and
153 / 67 per segment once split), a push title or body past what lock screens show, or a
push whose payload would exceed the 4 KB providers accept (that one is an error). Lengths
are estimated with typical values for the placeholders (`SAMPLE_VALUES`), since the real
ones are known only when sending.

Loops (`{{ for item in cart.items }} ... {{ end }}`) are rendered with a three-line sample
cart and four sample recommendations, so a length estimate counts what they repeat; in an
SMS or a push, a loop also gets a warning, since its length grows with the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.domain.commerce.shop_vars import SAMPLE_SHOP_VALUES
from shared.domain.messaging.templates import parse_template

Level = Literal["error", "warning"]

# Other tools' merge tags: the name inside is what the marketer meant.
_FOREIGN = (
    ("Mailchimp", re.compile(r"\*\|\s*([A-Za-z][A-Za-z0-9_]*)\s*\|\*")),
    ("triple-brace", re.compile(r"\{\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}\}")),
    ("ERB/ASP", re.compile(r"<%=?\s*([A-Za-z][A-Za-z0-9_.]*)\s*%>")),
    ("bracket", re.compile(r"\[([A-Za-z][A-Za-z0-9_]*)\]")),
    ("percent", re.compile(r"%([A-Za-z][A-Za-z0-9_]*)%")),
    ("dollar-brace", re.compile(r"\$\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}")),
    ("single-brace", re.compile(r"(?<![{$])\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}(?![}])")),
)
# Spellings that also occur as plain text ("[SALE] 50% off", "{color}") count only when the
# name is a placeholder name: one of ours, one of these aliases, or SHOUTED_WITH_UNDERSCORES.
_AMBIGUOUS = frozenset({"bracket", "percent", "single-brace"})
# What the foreign names usually mean here.
_ALIASES = {
    "fname": "first_name",
    "firstname": "first_name",
    "first_name": "first_name",
    "name": "first_name",
    "country": "country",
    "tier": "tier",
    "points": "points_balance",
    "balance": "points_balance",
    "points_balance": "points_balance",
}
_SCRIPT = (
    (re.compile(r"<\s*script\b", re.IGNORECASE), "a <script> element"),
    (
        re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
        "a javascript: link",
    ),
    (re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE), "an on... event handler attribute"),
)

# Typical values for estimating lengths (a long-ish first name, a 5-digit balance).
SAMPLE_VALUES: dict[str, object] = {
    "first_name": "Alexandra",
    "country": "GB",
    "locale": "en-GB",
    "points_balance": 12_345,
    "deposit_count": 12,
    "favourite_category": "slots",
    "rounds_played": 1_234,
    "login_count": 123,
    "tier": "platinum",
    # Products, a three-line cart, four recommendations: loops are estimated with these.
    **SAMPLE_SHOP_VALUES,
}

# GSM 03.38: the basic set, and the extension characters that take two septets.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SMS_MAX_CHARS = 1_600  # End User Messaging and SNS refuse longer messages
PUSH_TITLE_SHOWN = 50  # lock screens cut titles about here
PUSH_BODY_SHOWN = 178  # and bodies here (iOS; Android shows less)
PUSH_PAYLOAD_MAX = 4_096  # APNs and FCM payload limit, bytes


@dataclass(frozen=True)
class Finding:
    field: str  # subject, text or html
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class SmsLength:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def sms_length(text: str) -> SmsLength:
    """How an SMS of this text is encoded and how many billed segments it takes."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsLength(encoding, units, segments)  # type: ignore[arg-type]


def sample_render(source: str) -> str:
    """The text with typical values in its placeholders (fallbacks where it has them)."""
    return parse_template(source).render(SAMPLE_VALUES)


def template_errors(channel: str, parts: Iterable[tuple[str, str | None]]) -> list[Finding]:
    """The findings that refuse a template: foreign placeholders, script in HTML, a push
    payload over 4 KB."""
    found: list[Finding] = []
    sources = [(name, source) for name, source in parts if source]
    for name, source in sources:
        found += _foreign_placeholders(name, source)
        if name == "html":
            found += [
                Finding("html", "error", f"{what} is not allowed in email HTML")
                for pattern, what in _SCRIPT
                if pattern.search(source)
            ]
    if channel == "push":
        payload = sum(len(sample_render(s).encode()) for _, s in sources)
        if payload > PUSH_PAYLOAD_MAX:
            found.append(
                Finding("text", "error", f"push payload about {payload} bytes; the limit is 4 KB")
            )
    return found


def template_warnings(channel: str, parts: Iterable[tuple[str, str | None]]) -> list[Finding]:
    """Findings worth a look that do not refuse the template (lengths, cost)."""
    found: list[Finding] = []
    by_name = {name: source for name, source in parts if source}
    text = by_name.get("text")
    if channel == "sms" and text:
        length = sms_length(sample_render(text))
        if length.units > SMS_MAX_CHARS:
            found.append(
                Finding(
                    "text",
                    "warning",
                    f"about {length.units} characters: providers refuse SMS over {SMS_MAX_CHARS}",
                )
            )
        elif length.segments > 1:
            found.append(
                Finding(
                    "text",
                    "warning",
                    f"about {length.units} {length.encoding} characters: {length.segments} "
                    f"segments, each billed as one SMS"
                    + (
                        " (one non-GSM character makes the whole message UCS-2)"
                        if length.encoding == "UCS-2"
                        else ""
                    ),
                )
            )
    if channel in ("sms", "push"):
        for name, source in by_name.items():
            lists = sorted(parse_template(source).lists)
            if lists:
                found.append(
                    Finding(
                        name,
                        "warning",
                        f"repeats over {', '.join(lists)}: its length grows with the list "
                        "(estimated here with 4 recommendations and a 3-line cart); keep "
                        "loops to email and inbox",
                    )
                )
    if channel == "push":
        title, body = by_name.get("subject"), text
        if title and len(sample_render(title)) > PUSH_TITLE_SHOWN:
            found.append(
                Finding(
                    "subject",
                    "warning",
                    f"push title over {PUSH_TITLE_SHOWN} characters is cut on lock screens",
                )
            )
        if body and len(sample_render(body)) > PUSH_BODY_SHOWN:
            found.append(
                Finding(
                    "text",
                    "warning",
                    f"push body over {PUSH_BODY_SHOWN} characters is cut on lock screens",
                )
            )
    return found


def _foreign_placeholders(name: str, source: str) -> list[Finding]:
    found = []
    # Our own {{ ... }} tags are fine; look only at the text between them.
    outside = re.sub(r"\{\{(?!\{).*?\}\}", lambda m: " " * len(m.group(0)), source, flags=re.S)
    for tool, pattern in _FOREIGN:
        for match in pattern.finditer(outside):
            raw = match.group(1)
            meant = _ALIASES.get(raw.lower().replace(".", "_"))
            if meant is None and raw.lower() in SAMPLE_VALUES:
                meant = raw.lower()
            placeholder_like = meant is not None or bool(
                re.fullmatch(r"[A-Z0-9]+(_[A-Z0-9]+)+", raw)
            )
            if tool in _AMBIGUOUS and not placeholder_like:
                continue
            hint = f"; write {{{{ {meant} }}}}" if meant else "; write {{ name }} with a known name"
            found.append(
                Finding(
                    name,
                    "error",
                    f"{match.group(0)!r} is another tool's ({tool}) placeholder syntax and would "
                    f"reach players as it is{hint}",
                )
            )
    return found
