"""Safe message templates written by marketers: `{{ name }}` and `{{ name | "fallback" }}`.

Rendering is a plain lookup in the mapping it is given: no expressions, no attribute or item
access on objects, no format strings. Only str, int, Decimal, date, datetime and bool values are
shown; anything else (None, dicts, lists, objects, floats) counts as missing, so a message can
never show a Python repr. A message never shows a raw placeholder either: the syntax is refused
at parse time when malformed, and a value that itself looks like a placeholder (a name that
arrived as "{{first_name}}" or "[FIRST_NAME]" from an upstream tool), or that is a leaked
non-value ("None", "null", "undefined", "<... object at 0x...>"), counts as missing.

Syntax:
    {{ first_name }}                 value, or nothing when missing
    {{ first_name | "friend" }}      value, or the fallback text when missing
    {{ player.first_name }}          dotted names look up nested mappings (or a dotted key)
    {{ "{{" }} and {{ "}}" }}        literal braces (a quoted text on its own is output as is)
    {{ for item in cart.items }}     repeat what follows for each element of a list (at most
      {{ item.name }}: {{ item.price }}   MAX_LOOP_ITEMS), with `item` naming the element;
    {{ else }}                       optional: shown instead when the list is empty or missing
      Your cart is empty.
    {{ end }}                        closes the loop (loops nest at most MAX_LOOP_DEPTH deep)
Inside quotes, write \\" for a double quote and \\\\ for a backslash.

A loop is the only logic: no conditions, no expressions, no calls. It repeats a part of the
template over a list of mappings the engine built (cart lines, recommended products); a
loop over anything else renders its `else` part. A name inside the loop that starts with the
loop variable reads the element; `variables` reports it as `<list>[].<field>` (e.g.
`cart.items[].name`), so a template is checked against the typed variables it may use.
Money is a mapping {"amount", "currency"} and is written for the message's locale
(money_format.py): "€24.90", "24,90 €".

Not allowed: `{{{` / `}}}` (no unescaped output here), a stray `}}`, `{%` template logic,
braces in fallback text, filters (`| upper`), upper-case or spaced names.
"""

from __future__ import annotations

import difflib
import html as html_lib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from shared.domain.basics.money_format import as_decimal, format_money

__all__ = ["CompiledTemplate", "TemplateError", "parse_template", "validate_template"]

_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_INLINE_SPACE = " \t"
# A sentence can lose an empty value's surrounding space before these.
_CLOSING_PUNCTUATION = ",.;:!?)"
# Merge-tag spellings of other tools (Mailchimp, Braze, CRMs...), which mean a value or a
# template was never rendered upstream.
_FOREIGN_PLACEHOLDERS = (
    re.compile(r"\[([A-Za-z][A-Za-z0-9_.]*)\]"),
    re.compile(r"%([A-Za-z][A-Za-z0-9_.]*)%"),
    re.compile(r"\$?\{([A-Za-z][A-Za-z0-9_.]*)\}"),
    re.compile(r"\*\|([A-Za-z][A-Za-z0-9_.]*)\|\*"),
)
# What upstream code writes when it stringifies a missing or structured value: "Hi None,".
_LEAKED_NON_VALUES = frozenset(
    {"None", "null", "NULL", "undefined", "NaN", "nan", "[object Object]"}
)
_SHOUTED_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# Decimals beyond this exponent would print as thousands of digits; no real value needs it.
_MAX_DECIMAL_EXPONENT = 100
MAX_LOOP_ITEMS = 20
"""Elements a loop shows at most (a list is cut there): bounds a message's length."""
MAX_LOOP_DEPTH = 2
KEYWORDS = frozenset({"for", "in", "else", "end"})
_LOOP_VAR = re.compile(r"[a-z][a-z0-9_]*")


class TemplateError(ValueError):
    """A template cannot be parsed; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int, source: str = "") -> None:
        self.message = message
        self.position = position
        self.line = source.count("\n", 0, position) + 1
        self.column = position - (source.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"{message} (line {self.line}, column {self.column})")


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Var:
    name: str
    fallback: str | None


@dataclass(frozen=True, slots=True)
class _Loop:
    var: str
    iterable: str
    body: tuple[_Part, ...]
    otherwise: tuple[_Part, ...]


_Part = _Text | _Var | _Loop


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A parsed template; build it with `parse_template`, then `render` it many times."""

    source: str
    variables: frozenset[str]
    _parts: tuple[_Part, ...] = field(repr=False, compare=False)
    # The lists loops iterate, named as in `variables` (e.g. "cart.items").
    lists: frozenset[str] = frozenset()

    def render(
        self, values: Mapping[str, object], *, html: bool = False, locale: str | None = None
    ) -> str:
        """Fill the placeholders from `values`; with html=True, values and fallbacks are
        escaped. Money is written for `locale`."""
        return _render(self._parts, values, {}, html, locale)

    @property
    def roots(self) -> frozenset[str]:
        """The top-level names the template reads (`cart` for `cart.items[].name`)."""
        return frozenset(name.split(".")[0].split("[")[0] for name in self.variables | self.lists)


def _render(
    parts: tuple[_Part, ...] | list[_Part],
    values: Mapping[str, object],
    scope: Mapping[str, object],
    html: bool,
    locale: str | None,
) -> str:
    out = ""
    # True while the last placeholder(s) rendered nothing, so the text that follows may
    # need its spacing repaired ("Hi {{name}}, x" -> "Hi, x" rather than "Hi , x").
    gap = False
    for part in parts:
        if isinstance(part, _Text):
            text = _close_gap(out, part.text) if gap else part.text
            out = _trim_before_gap_end(out, text) if gap else out
            out += text
            gap = gap and text == ""
            continue
        if isinstance(part, _Loop):
            shown = _render_loop(part, values, scope, html, locale)
            if shown:
                out += shown
                gap = False
            else:
                gap = True
            continue
        shown_value = _display(_scoped(values, scope, part.name), locale)
        if shown_value is None:
            shown_value = part.fallback or ""
        if shown_value:
            out += html_lib.escape(shown_value, quote=True) if html else shown_value
            gap = False
        else:
            gap = True
    if gap:
        out = out.rstrip(_INLINE_SPACE)
    return out


def _render_loop(
    loop: _Loop,
    values: Mapping[str, object],
    scope: Mapping[str, object],
    html: bool,
    locale: str | None,
) -> str:
    items = _scoped(values, scope, loop.iterable)
    # Only a list of mappings is iterated: a string, a mapping or an object is not a list.
    elements = (
        [i for i in items if isinstance(i, Mapping)][:MAX_LOOP_ITEMS]
        if isinstance(items, list | tuple)
        else []
    )
    if not elements:
        return _render(loop.otherwise, values, scope, html, locale)
    return "".join(
        _render(loop.body, values, {**scope, loop.var: element}, html, locale)
        for element in elements
    )


def _scoped(values: Mapping[str, object], scope: Mapping[str, object], name: str) -> object:
    head, _, rest = name.partition(".")
    if head in scope:
        element = scope[head]
        if not rest:
            return element
        return _lookup(element, rest) if isinstance(element, Mapping) else None
    return _lookup(values, name)


def _close_gap(out: str, text: str) -> str:
    # A space after an empty value is dropped when there is already one before it, or when
    # it would start the message or a line.
    if text[:1] in _INLINE_SPACE and (out == "" or out[-1] in " \t\n("):
        return text.lstrip(_INLINE_SPACE)
    return text


def _trim_before_gap_end(out: str, text: str) -> str:
    if text[:1] == "\n":
        return out.rstrip(_INLINE_SPACE)
    if text[:1] and text[0] in _CLOSING_PUNCTUATION:
        out = out.rstrip(_INLINE_SPACE)
        # "Hello, {{name}}!" reads better as "Hello!" than "Hello,!".
        if out.endswith(",") and text[0] != ")":
            out = out[:-1]
    return out


def _lookup(values: Mapping[str, object], name: str) -> object:
    # Only Mapping lookups, never getattr: the template cannot reach into objects.
    if name in values:
        return values[name]
    current: object = values
    for segment in name.split("."):
        if not isinstance(current, Mapping) or segment not in current:
            return None
        current = current[segment]
    return current


def _money(value: Mapping[object, object], locale: str | None) -> str | None:
    if set(value) != {"amount", "currency"}:
        return None
    amount, currency = as_decimal(value["amount"]), value["currency"]
    if amount is None or not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    return format_money(amount, str.__str__(currency), locale)


def _display(value: object, locale: str | None = None) -> str | None:
    """Text for a value, or None when it must count as missing."""
    text: str
    # Unbound base-class methods, so a subclass's __str__/__format__ cannot inject text.
    if isinstance(value, Mapping):
        money = _money(value, locale)
        if money is None:
            return None
        text = money
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, str):
        text = str.__str__(value).strip()
    elif isinstance(value, int):
        try:
            text = int.__repr__(value)
        except ValueError:  # longer than sys.get_int_max_str_digits()
            return None
    elif isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > _MAX_DECIMAL_EXPONENT:
            return None
        text = Decimal.__format__(abs(value) if value.is_zero() else value, "f")
    elif isinstance(value, datetime):
        text = date.isoformat(datetime.date(value))
    elif isinstance(value, date):
        text = date.isoformat(value)
    else:
        return None
    if (
        not text
        or "{" in text
        or "}" in text
        or text in _LEAKED_NON_VALUES
        or " object at 0x" in text
        or _is_foreign_placeholder(text)
    ):
        return None
    return text


def _is_foreign_placeholder(text: str) -> bool:
    for pattern in _FOREIGN_PLACEHOLDERS:
        match = pattern.fullmatch(text)
        if match and _SHOUTED_PLACEHOLDER.fullmatch(match.group(1)):
            return True
    return False


@dataclass
class _OpenLoop:
    var: str
    iterable: str
    start: int
    parent: list[_Part]
    body: list[_Part]
    otherwise: list[_Part] | None = None


_FOR = re.compile(r"for[ \t]+(\S+?)[ \t]+in[ \t]+(\S+?)[ \t]*\}\}")
_KEYWORD_TAG = re.compile(r"(else|end)[ \t]*\}\}")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[_Part] = []
        self.loops: list[_OpenLoop] = []

    def error(self, message: str, position: int) -> TemplateError:
        return TemplateError(message, position, self.source)

    def parse(self) -> list[_Part]:
        source = self.source
        pos = 0
        after_placeholder = False
        while pos < len(source):
            start = source.find("{{", pos)
            end = len(source) if start == -1 else start
            self.check_text(pos, end, after_placeholder)
            self.add_text(source[pos:end])
            if start == -1:
                break
            pos, after_placeholder = self.parse_tag(start)
        if self.loops:
            raise self.error(
                "{{ for }} is not closed: add {{ end }} after the part to repeat",
                self.loops[-1].start,
            )
        return self.parts

    def parse_keyword(self, start: int, pos: int) -> int | None:
        """A loop tag ({{ for x in list }}, {{ else }}, {{ end }}) at `pos`; the offset
        after it, or None when the tag is not one."""
        source = self.source
        if re.match(r"for[ \t]", source[pos : pos + 4]):
            match = _FOR.match(source, pos)
            if match is None:
                raise self.error("a loop opens with {{ for item in cart.items }}", start)
            var, iterable = match.group(1), match.group(2)
            if not _LOOP_VAR.fullmatch(var) or var in KEYWORDS:
                raise self.error(
                    f"invalid loop variable {var!r}: one lower-case word, e.g. item", start
                )
            if not _NAME.fullmatch(iterable):
                raise self.error(f"invalid list name {iterable!r}, e.g. cart.items", start)
            if any(loop.var == var for loop in self.loops):
                raise self.error(f"loop variable {var!r} is already used by an outer loop", start)
            if len(self.loops) >= MAX_LOOP_DEPTH:
                raise self.error(f"loops nest at most {MAX_LOOP_DEPTH} deep", start)
            body: list[_Part] = []
            self.loops.append(_OpenLoop(var, iterable, start, self.parts, body))
            self.parts = body
            return match.end()
        match = _KEYWORD_TAG.match(source, pos)
        if match is None:
            return None
        word = match.group(1)
        if not self.loops:
            raise self.error(f"{{{{ {word} }}}} without an open {{{{ for ... }}}}", start)
        loop = self.loops[-1]
        if word == "else":
            if loop.otherwise is not None:
                raise self.error("a loop has at most one {{ else }}", start)
            loop.otherwise = []
            self.parts = loop.otherwise
            return match.end()
        self.loops.pop()
        self.parts = loop.parent
        self.parts.append(
            _Loop(loop.var, loop.iterable, tuple(loop.body), tuple(loop.otherwise or ()))
        )
        return match.end()

    def check_text(self, begin: int, end: int, after_placeholder: bool) -> None:
        source = self.source
        stray = source.find("}}", begin, end)
        if after_placeholder and source.startswith("}", begin) and begin < end:
            raise self.error('a placeholder closes with }}, not }}}; write {{ "}" }}', begin)
        if stray != -1:
            raise self.error('unmatched }}: nothing opened it; write {{ "}}" }} for text', stray)
        logic = source.find("{%", begin, end)
        if logic != -1:
            raise self.error(
                "template logic ({% ... %}) is not supported; to repeat over a list write "
                "{{ for item in cart.items }} ... {{ end }}",
                logic,
            )

    def add_text(self, text: str) -> None:
        if not text:
            return
        if self.parts and isinstance(self.parts[-1], _Text):
            self.parts[-1] = _Text(self.parts[-1].text + text)
        else:
            self.parts.append(_Text(text))

    def skip_space(self, pos: int) -> int:
        while pos < len(self.source) and self.source[pos] in _INLINE_SPACE:
            pos += 1
        return pos

    def parse_tag(self, start: int) -> tuple[int, bool]:
        """Parse the placeholder opening at `start`; return the offset after it."""
        source = self.source
        if source.startswith("{{{", start):
            raise self.error("{{{ is not supported: a placeholder opens with {{", start)
        pos = self.skip_space(start + 2)
        after_keyword = self.parse_keyword(start, pos)
        if after_keyword is not None:
            return after_keyword, True
        if source.startswith('"', pos):
            literal, pos = self.parse_quoted(pos)
            pos = self.expect_close(start, self.skip_space(pos))
            self.add_text(literal)
            # Literal text is template text: a "}" after it is the author's explicit choice.
            return pos, False
        if source.startswith("}}", pos) or source.startswith("|", pos):
            raise self.error("empty placeholder: write a variable name, e.g. {{ first_name }}", pos)
        name_start = pos
        while pos < len(source) and source[pos] in _NAME_CHARS:
            pos += 1
        name = source[name_start:pos]
        self.check_name(name, name_start, start)
        pos = self.skip_space(pos)
        fallback: str | None = None
        if source.startswith("|", pos):
            pos = self.skip_space(pos + 1)
            if not source.startswith('"', pos):
                raise self.error(self.describe_bad_fallback(pos), pos)
            quote_at = pos
            fallback, pos = self.parse_quoted(pos)
            if "{" in fallback or "}" in fallback:
                raise self.error("fallback text may not contain { or }", quote_at)
            pos = self.expect_close(start, self.skip_space(pos))
        else:
            pos = self.expect_close(start, pos, after_name=True)
        self.parts.append(_Var(name, fallback))
        return pos, True

    def check_name(self, name: str, name_start: int, tag_start: int) -> None:
        if name == "":
            char = self.source[name_start : name_start + 1]
            if char in ("", "\n", "\r"):
                raise self.error("unclosed {{: no }} on the same line", tag_start)
            if char == "{":
                raise self.error("nested braces are not supported inside {{ }}", name_start)
            if char == "'":
                raise self.error('use double quotes: {{ "text" }}', name_start)
            if char in "#/":
                raise self.error(
                    "block tags like {{#each}} are not supported; to repeat over a list write "
                    "{{ for item in cart.items }} ... {{ end }}",
                    name_start,
                )
            raise self.error(f"unexpected {char!r}: expected a variable name", name_start)
        if name in KEYWORDS:
            raise self.error(
                f"{name!r} is a loop word: {{{{ for item in list }}}} ... {{{{ end }}}}", name_start
            )
        if not _NAME.fullmatch(name):
            hint = name.lower().replace("-", "_")
            suggestion = f"; use {hint}" if _NAME.fullmatch(hint) else ""
            raise self.error(
                f"invalid variable name {name!r}: lower-case letters, digits and _, "
                f"starting with a letter, dotted for nested values{suggestion}",
                name_start,
            )

    def describe_bad_fallback(self, pos: int) -> str:
        char = self.source[pos : pos + 1]
        if char in ("'", "\u201c", "\u201d"):
            return 'fallback text goes in plain double quotes: {{ first_name | "friend" }}'
        if char == "" or self.source.startswith("}}", pos):
            return 'missing fallback after |: {{ first_name | "friend" }}'
        return 'filters are not supported; after | write a quoted fallback: | "friend"'

    def parse_quoted(self, pos: int) -> tuple[str, int]:
        """Read a double-quoted string at `pos`; return its text and the offset after it."""
        source = self.source
        chars: list[str] = []
        i = pos + 1
        while i < len(source):
            char = source[i]
            if char == "\\":
                escaped = source[i + 1 : i + 2]
                if escaped not in ('"', "\\"):
                    raise self.error('only \\" and \\\\ can be escaped in quoted text', i)
                chars.append(escaped)
                i += 2
                continue
            if char == '"':
                return "".join(chars), i + 1
            if char in "\r\n":
                break
            chars.append(char)
            i += 1
        raise self.error("quoted text is missing its closing double quote", pos)

    def expect_close(self, tag_start: int, pos: int, *, after_name: bool = False) -> int:
        source = self.source
        if source.startswith("}}", pos):
            return pos + 2
        line_end = min(
            (i for i in (source.find("\n", pos), source.find("\r", pos)) if i != -1),
            default=len(source),
        )
        next_open = source.find("{{", pos, line_end)
        next_close = source.find("}}", pos, line_end)
        if next_close == -1:
            raise self.error("unclosed {{: no }} on the same line", tag_start)
        if next_open != -1 and next_open < next_close:
            raise self.error("unclosed {{ before the next {{", tag_start)
        char = source[pos]
        if after_name and char in _NAME_CHARS:
            raise self.error("variable names cannot contain spaces", pos)
        if char == "{":
            raise self.error("nested braces are not supported inside {{ }}", pos)
        raise self.error(f"unexpected {char!r} in placeholder: expected }}}}", pos)


def parse_template(text: str) -> CompiledTemplate:
    """Compile a template, raising TemplateError with the position of the first mistake."""
    if not isinstance(text, str):
        raise TypeError("a template is a string")
    parts = tuple(_Parser(text).parse())
    names: set[str] = set()
    lists: set[str] = set()
    _collect(parts, {}, names, lists)
    return CompiledTemplate(
        source=text, variables=frozenset(names), _parts=parts, lists=frozenset(lists)
    )


def _typed_name(name: str, scope: Mapping[str, str]) -> str:
    """`item.name` inside `for item in cart.items` is `cart.items[].name`."""
    head, dot, rest = name.partition(".")
    if head in scope:
        return f"{scope[head]}[]{dot}{rest}"
    return name


def _collect(
    parts: tuple[_Part, ...], scope: Mapping[str, str], names: set[str], lists: set[str]
) -> None:
    for part in parts:
        if isinstance(part, _Var):
            names.add(_typed_name(part.name, scope))
        elif isinstance(part, _Loop):
            iterable = _typed_name(part.iterable, scope)
            lists.add(iterable)
            _collect(part.body, {**scope, part.var: iterable}, names, lists)
            _collect(part.otherwise, scope, names, lists)


def validate_template(template: CompiledTemplate, allowed: Collection[str]) -> list[str]:
    """Human-readable problems: unknown variables and other tools' placeholder syntax."""
    known = sorted(allowed)
    problems = []
    for name in sorted(template.variables - set(allowed)):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"unknown variable {name!r}{hint}")
    for part in _texts(template._parts):
        for pattern in _FOREIGN_PLACEHOLDERS:
            for match in pattern.finditer(part.text):
                name = match.group(1).lower()
                if name in allowed:
                    problems.append(
                        f"{match.group(0)!r} looks like another tool's placeholder; "
                        f"write {{{{ {name} }}}}"
                    )
    return problems


def _texts(parts: tuple[_Part, ...]) -> list[_Text]:
    found: list[_Text] = []
    for part in parts:
        if isinstance(part, _Text):
            found.append(part)
        elif isinstance(part, _Loop):
            found += _texts(part.body) + _texts(part.otherwise)
    return found
