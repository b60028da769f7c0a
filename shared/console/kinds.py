"""The registry of config kinds the console manages, each with its validator.

A kind says how to validate a document, which id it is stored under, whether it has an
`enabled` flag, and which other items it must refer to. `rule`, `template` and `segment` ship
now; missions, tiers and wheels plug in by registering a `ConfigKind` (the engine
reads them once it knows the kind, exactly as it reads rules today). Responsible-gaming
policy items are deliberately not here: compliance thresholds are not marketing config.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.adapters.config_store import RULE, SEGMENT, TEMPLATE
from shared.console.errors import FieldError, Invalid
from shared.domain.authoring.rules import (
    GrantBadgeAction,
    GrantSpinsAction,
    Rule,
    SendAction,
    variant_template_problems,
    walk_rule,
)
from shared.domain.authoring.segments import Segment
from shared.domain.core.config import MessageTemplate, parse_rule
from shared.domain.game.game_config import GAME_KINDS
from shared.domain.game.missions import Mission
from shared.domain.messaging.template_lint import template_warnings

# Ids of existing items of a kind, for reference checks (loaded only when a kind needs them).
ExistingIds = Callable[[str], set[str]]

_PATH_PREFIX = re.compile(r"^([A-Za-z_$][\w$-]*(?:\.[\w$-]+|\[\d+\])*): (.+)$", re.DOTALL)


@dataclass(frozen=True)
class ConfigKind:
    name: str
    label: str
    validate: Callable[[Mapping[str, Any]], BaseModel]
    # The model the console's form is drawn from (its JSON Schema: shared/console/forms.py).
    model: type[BaseModel]
    item_id: Callable[[Any], str]
    can_enable: bool = False
    references: Callable[[Any, ExistingIds], list[FieldError]] | None = None
    # What to tell the marketer about a valid item without refusing it (SMS segments...).
    warnings: Callable[[Any], list[FieldError]] | None = None


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted path and a message without noise."""
    out: list[FieldError] = []
    for err in exc.errors():
        loc: list[str] = []
        for p in err["loc"]:
            # An action's union tag repeats its key ('then', 0, 'send', 'send'): once is enough.
            if not loc or loc[-1] != str(p):
                loc.append(str(p))
        path = ".".join(loc)
        message = str(err["msg"]).removeprefix("Value error, ")
        # Validators that check several fields name the exact path in their message
        # ("then.0.award_points.of: ..."); that path is more precise than the location.
        hit = _PATH_PREFIX.match(message)
        if hit and (not path or hit.group(1).startswith(path.split(".")[0])):
            path, message = hit.group(1), hit.group(2)
        full = ".".join(p for p in (prefix, path) if p)
        out.append(FieldError(path=full or "(document)", message=message))
    return out


def validate_document(kind: ConfigKind, body: Mapping[str, Any], prefix: str = "") -> Any:
    """The validated model, or Invalid with every field error."""
    try:
        return kind.validate(body)
    except ValidationError as exc:
        raise Invalid(f"this {kind.label} is not valid", field_errors(exc, prefix)) from exc


def _rule_references(rule: Rule, existing: ExistingIds) -> list[FieldError]:
    # Template items are stored as "<template_id>#<channel>#<locale>"; any locale will do.
    templates = {"#".join(item_id.split("#")[:2]) for item_id in existing(TEMPLATE)}
    known = {(t.split("#")[0], t.split("#")[-1]) for t in templates}
    errors = [
        FieldError(*problem.split(": ", 1)) for problem in variant_template_problems(rule, known)
    ]
    for where, path, action in walk_rule(rule):
        at = f"{where}.{path}"
        if isinstance(action, SendAction):
            wanted = f"{action.send.template}#{action.send.channel}"
            if wanted not in templates:
                errors.append(
                    FieldError(
                        f"{at}.send.template",
                        f"no {action.send.channel} template {action.send.template!r} exists; "
                        "create the template first",
                    )
                )
        if isinstance(action, GrantBadgeAction) and action.grant_badge.badge not in existing(
            "badge"
        ):
            errors.append(
                FieldError(
                    f"{at}.grant_badge.badge",
                    f"no badge {action.grant_badge.badge!r} exists; create the badge first",
                )
            )
        if isinstance(action, GrantSpinsAction) and action.grant_spins.wheel not in existing(
            "wheel"
        ):
            errors.append(
                FieldError(
                    f"{at}.grant_spins.wheel",
                    f"no wheel {action.grant_spins.wheel!r} exists; create the wheel first",
                )
            )
    return errors


def _template_id(tpl: MessageTemplate) -> str:
    return "#".join(tpl.key)


RULE_KIND = ConfigKind(
    name=RULE,
    label="rule",
    validate=parse_rule,
    model=Rule,
    item_id=lambda rule: rule.rule_id,
    can_enable=True,
    references=_rule_references,
)


def _template_warnings(template: MessageTemplate) -> list[FieldError]:
    return [
        FieldError(w.field, w.message) for w in template_warnings(template.channel, template.parts)
    ]


TEMPLATE_KIND = ConfigKind(
    name=TEMPLATE,
    label="message template",
    validate=MessageTemplate.model_validate,
    model=MessageTemplate,
    item_id=_template_id,
    warnings=_template_warnings,
)

SEGMENT_KIND = ConfigKind(
    name=SEGMENT,
    label="segment",
    validate=Segment.model_validate,
    model=Segment,
    item_id=lambda segment: segment.segment_id,
    can_enable=True,
)


def _mission_references(mission: Mission, existing: ExistingIds) -> list[FieldError]:
    templates = {"#".join(item_id.split("#")[:2]) for item_id in existing(TEMPLATE)}
    badges = existing("badge")
    errors = []
    for i, action in enumerate(mission.reward):
        if isinstance(action, SendAction):
            wanted = f"{action.send.template}#{action.send.channel}"
            if wanted not in templates:
                errors.append(
                    FieldError(
                        f"reward.{i}.send.template",
                        f"no {action.send.channel} template {action.send.template!r} exists",
                    )
                )
        if isinstance(action, GrantBadgeAction) and action.grant_badge.badge not in badges:
            errors.append(
                FieldError(
                    f"reward.{i}.grant_badge.badge", f"no badge {action.grant_badge.badge!r}"
                )
            )
    return errors


# Edits apply to runs under way without resetting progress: docs/missions.md, "Edits".
MISSION_KIND = ConfigKind(
    name="mission",
    label="mission",
    validate=Mission.model_validate,
    model=Mission,
    item_id=lambda mission: mission.mission_id,
    can_enable=True,
    references=_mission_references,
)

KINDS: dict[str, ConfigKind] = {}


def register(kind: ConfigKind) -> None:
    """Make a kind manageable in the console."""
    KINDS[kind.name] = kind


register(RULE_KIND)
register(TEMPLATE_KIND)
register(SEGMENT_KIND)

_GAME_LABELS = {
    "points": "points policy",
    "tiers": "tier program",
    "badge": "badge",
    "mission": "mission",
    "leaderboard": "leaderboard",
    "wheel": "wheel",
    "store_item": "reward-store item",
    "experiments": "control group",
}


def _game_kind(name: str) -> ConfigKind:
    model, id_field = GAME_KINDS[name]
    return ConfigKind(
        name=name,
        label=_GAME_LABELS.get(name, name),
        validate=model.model_validate,
        model=model,
        item_id=lambda item: str(getattr(item, id_field)),
        can_enable="enabled" in model.model_fields,
    )


for _name in GAME_KINDS:
    # Missions have their own kind: their rewards refer to badges and templates.
    register(MISSION_KIND if _name == "mission" else _game_kind(_name))
