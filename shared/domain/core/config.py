"""A published configuration: rules and message templates, validated and compiled.

Config items arrive from the config table. One bad item (hand-edited, or written by an
older version) is skipped and reported; it never stops the others from working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from events.models import ConsentProduct
from shared.domain.authoring.rules import (
    CompiledRule,
    Rule,
    RuleSet,
    SendAction,
    Slug,
    compile_rule,
    variant_template_problems,
    walk_rule,
)
from shared.domain.authoring.segments import CompiledSegment, Segment, compile_segments
from shared.domain.commerce.recommendations import ShopPolicy
from shared.domain.commerce.shop_vars import LIST_VARIABLES, SHOP_TEMPLATE_VARIABLES
from shared.domain.game.game_config import GameConfig, build_game_config, game_references
from shared.domain.language.document_fields import DocumentFields
from shared.domain.language.patterns import Matcher, compile_pattern
from shared.domain.language.validation import describe_validation_error
from shared.domain.messaging.delivery import DeliveryPolicy
from shared.domain.messaging.template_lint import template_errors, template_warnings
from shared.domain.messaging.templates import CompiledTemplate, TemplateError, parse_template
from shared.domain.players.engagement import EngagementPolicy
from shared.domain.players.rg import RgThresholds

DEFAULT_LOCALE = "en"

# What a template may reference: scalar profile fields copied into each message.
TEMPLATE_VARIABLES = frozenset(
    {
        "first_name",
        "country",
        "locale",
        "points_balance",
        "deposit_count",
        "favourite_category",
        "rounds_played",
        "login_count",
        "tier",
    }
)
ALLOWED_TEMPLATE_VARIABLES = TEMPLATE_VARIABLES | SHOP_TEMPLATE_VARIABLES
"""The scalars above plus the typed shop variables (shop_vars.py)."""


class MessageTemplate(BaseModel):
    """One channel + locale variant of a message."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    template_id: Slug
    channel: Literal["email", "sms", "push", "inbox"] = "email"
    locale: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = DEFAULT_LOCALE
    # Service messages (account, security, support) are not marketing: no marketing consent needed.
    category: Literal["marketing", "service"] = "marketing"
    # The product a marketing message promotes (casino, betting, bingo...): it then also needs
    # the player's consent for that product on the channel, where they gave one per product.
    product: ConsentProduct | None = None
    # An SMS has no subject; every other channel needs one (email subject, push title).
    subject: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    html: Annotated[str, Field(max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _parses(self) -> MessageTemplate:
        if self.subject is None and self.channel != "sms":
            raise ValueError(f"subject: required for {self.channel} templates")
        for part in ("subject", "text", "html"):
            source = getattr(self, part)
            if source is None:
                continue
            try:
                compiled = parse_template(source)
            except TemplateError as exc:
                raise ValueError(f"{part}: {exc}") from exc
            not_lists = sorted(compiled.lists - LIST_VARIABLES)
            if not_lists:
                raise ValueError(
                    f"{part}: {{{{ for }}}} repeats over a list; {not_lists} is not one of "
                    f"{sorted(LIST_VARIABLES)}"
                )
            unknown = sorted(compiled.variables - ALLOWED_TEMPLATE_VARIABLES)
            if unknown:
                raise ValueError(
                    f"{part}: unknown variables {unknown}; allowed: {sorted(TEMPLATE_VARIABLES)}"
                    f" and the shop's {sorted(SHOP_TEMPLATE_VARIABLES)}"
                )
        errors = template_errors(self.channel, self.parts)
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
        return self

    @property
    def parts(self) -> tuple[tuple[str, str | None], ...]:
        return (("subject", self.subject), ("text", self.text), ("html", self.html))

    def warnings(self) -> list[str]:
        """What a marketer should check that does not refuse the template (SMS segments,
        push lengths): shown by the console when it is saved."""
        return [str(w) for w in template_warnings(self.channel, self.parts)]

    @cached_property
    def roots(self) -> frozenset[str]:
        """Top-level names its parts read (`cart` for `cart.items[].name`); computed once
        per loaded template, not per send."""
        found: frozenset[str] = frozenset()
        for compiled in self.compiled():
            if compiled is not None:
                found |= compiled.roots
        return found

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.template_id, self.channel, self.locale)

    def compiled(self) -> tuple[CompiledTemplate, CompiledTemplate, CompiledTemplate | None]:
        return (
            parse_template(self.subject or ""),
            parse_template(self.text),
            parse_template(self.html) if self.html else None,
        )


@dataclass(frozen=True)
class ConfigProblem:
    """A config item that was refused, and why (field path + reason)."""

    kind: str
    item_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id!r}: {self.reason}"


@dataclass(frozen=True)
class ConfigSnapshot:
    version: int
    rules: RuleSet
    templates: Mapping[tuple[str, str, str], MessageTemplate]
    problems: tuple[ConfigProblem, ...] = field(default=())
    rg_thresholds: RgThresholds = field(default_factory=RgThresholds)
    engagement: EngagementPolicy = field(default_factory=EngagementPolicy)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    segments: tuple[CompiledSegment, ...] = ()
    game: GameConfig = field(default_factory=GameConfig)
    shop: ShopPolicy = field(default_factory=ShopPolicy)

    @cached_property
    def match_fields(self) -> DocumentFields:
        """What rules, leaderboards and mission steps can read of the match document."""
        patterns: list[Mapping[str, Any] | None] = [r.rule.match for r in self.rules.all()]
        patterns += [board.match for board in self.game.leaderboards.values()]
        patterns += [s.match for m in self.game.missions.values() for s in m.steps]
        return DocumentFields.of(patterns)

    @cached_property
    def reads_rfm(self) -> bool:
        """Whether any condition (rule, rule timer, leaderboard, mission step, segment) can
        read the player's RFM score: then a decision must keep it current, even one made
        for a caller that never shows the state (decide's `display_facts`)."""
        timers = [spec.if_ for r in self.rules.all() for spec, _ in r.timers.values() if spec.if_]
        fields = (self.match_fields, self.segment_fields, DocumentFields.of(timers))
        return any(f.reads_rfm for f in fields)

    @cached_property
    def board_matchers(self) -> dict[str, Matcher]:
        """Each leaderboard's condition, compiled once per published config (none: all)."""
        return {
            board_id: compile_pattern(board.match, path="match")
            for board_id, board in self.game.leaderboards.items()
            if board.match is not None
        }

    @cached_property
    def segment_fields(self) -> DocumentFields:
        """What segment definitions can read of the match document."""
        return DocumentFields.of(s.segment.match for s in self.segments)

    def template(
        self, template_id: str, channel: str, locale: str | None
    ) -> MessageTemplate | None:
        """Best variant: exact locale, then its language, then the default locale, then any."""
        key = (template_id, channel, locale)
        memo = self._template_choices
        if key in memo:  # asked before every send: answered once per config and locale
            return memo[key]
        found = memo[key] = self._choose_template(template_id, channel, locale)
        return found

    @cached_property
    def _template_choices(self) -> dict[tuple[str, str, str | None], MessageTemplate | None]:
        return {}

    def _choose_template(
        self, template_id: str, channel: str, locale: str | None
    ) -> MessageTemplate | None:
        wanted = [locale, locale.split("-")[0] if locale else None, DEFAULT_LOCALE]
        for loc in wanted:
            if loc and (hit := self.templates.get((template_id, channel, loc))):
                return hit
        for key, tpl in sorted(self.templates.items()):
            if key[0] == template_id and key[1] == channel:
                return tpl
        return None

    def has_template(self, template_id: str, channel: str) -> bool:
        return any(k[0] == template_id and k[1] == channel for k in self.templates)


def _item_id(raw: Any, key: str) -> str:
    if not isinstance(raw, Mapping):
        return "?"
    return str(raw.get(key) or raw.get("_unreadable") or "?")


def parse_rule(raw: Mapping[str, Any]) -> Rule:
    """Validate one rule document; raises ValidationError with field paths."""
    return Rule.model_validate(raw)


def build_config(
    version: int,
    rule_items: Iterable[Mapping[str, Any]],
    template_items: Iterable[Mapping[str, Any]],
    policy_items: Iterable[Mapping[str, Any]] = (),
    segment_items: Iterable[Mapping[str, Any]] = (),
    game_items: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
) -> ConfigSnapshot:
    """Validate and compile raw items; refused items are reported in `problems`."""
    problems: list[ConfigProblem] = []
    game, game_problems = build_game_config(game_items or {})
    problems += [ConfigProblem(p.kind, p.item_id, p.reason) for p in game_problems]
    policies: dict[str, Any] = {
        "rg": RgThresholds(),
        "engagement": EngagementPolicy(),
        "delivery": DeliveryPolicy(),
        "shop": ShopPolicy(),
    }
    for raw in policy_items:
        policy_id = _item_id(raw, "policy_id")
        if policy_id not in policies:
            problems.append(
                ConfigProblem("policy", policy_id, f"unknown policy {sorted(policies)}")
            )
            continue
        try:
            body = {k: v for k, v in raw.items() if k != "policy_id"}
            policies[policy_id] = type(policies[policy_id]).model_validate(body)
        except ValidationError as exc:
            # Keep the safe defaults rather than run with a half-read policy.
            problems.append(ConfigProblem("policy", policy_id, describe_validation_error(exc)))
    segments: list[Segment] = []
    for raw in segment_items:
        try:
            segments.append(Segment.model_validate(raw))
        except ValidationError as exc:
            item_id = _item_id(raw, "segment_id")
            problems.append(ConfigProblem("segment", item_id, describe_validation_error(exc)))
    templates: dict[tuple[str, str, str], MessageTemplate] = {}
    for raw in template_items:
        item_id = _item_id(raw, "template_id")
        if isinstance(raw, Mapping) and "_unreadable" in raw:
            problems.append(ConfigProblem("template", item_id, "stored body is not a JSON object"))
            continue
        try:
            tpl = MessageTemplate.model_validate(raw)
        except ValidationError as exc:
            problems.append(ConfigProblem("template", item_id, describe_validation_error(exc)))
            continue
        templates[tpl.key] = tpl
    compiled: list[CompiledRule] = []
    for raw in rule_items:
        item_id = _item_id(raw, "rule_id")
        if isinstance(raw, Mapping) and "_unreadable" in raw:
            problems.append(ConfigProblem("rule", item_id, "stored body is not a JSON object"))
            continue
        try:
            rule = parse_rule(raw)
        except ValidationError as exc:
            problems.append(ConfigProblem("rule", item_id, describe_validation_error(exc)))
            continue
        missing = [
            f"{where}.{path}.send.template: no {a.send.channel} template {a.send.template!r}"
            for where, path, a in walk_rule(rule)
            if isinstance(a, SendAction)
            and not any(k[0] == a.send.template and k[1] == a.send.channel for k in templates)
        ]
        missing += variant_template_problems(rule, {k[:2] for k in templates})
        missing += game_references(rule, game)
        if missing:
            problems.append(ConfigProblem("rule", item_id, "; ".join(missing)))
            continue
        compiled.append(compile_rule(rule))
    return ConfigSnapshot(
        version=version,
        rules=RuleSet(compiled),
        templates=templates,
        problems=tuple(problems),
        rg_thresholds=policies["rg"],
        engagement=policies["engagement"],
        delivery=policies["delivery"],
        segments=compile_segments(segments),
        game=game,
        shop=policies["shop"],
    )
