"""Form descriptions for the console, derived from the config kinds' pydantic models.

The page draws every form from `form_schema(model)`: the model's own JSON Schema, made
easier to draw (an optional field is its type plus `x-nullable`, a Decimal is a number) and
annotated with what the schema alone cannot say: which fields pick from live config
(`x-picker`: a template, a wheel, a badge, a detail-type...) and which are conditions in
the pattern language (`x-widget: "condition"`). Because the schema comes from the models,
a new field appears in the form the day it is added; nothing is written twice.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from pydantic import BaseModel

from events.models import DETAIL_MODELS
from shared.domain.players.profile import Profile

# Field name -> the live list the form offers for it (served by `pickers`).
PICKER_FIELDS: dict[str, str] = {
    "template": "template",
    "wheel": "wheel",
    "badge": "badge",
    "mission": "mission",
    "segment": "segment",
    "timer": "timer",
}
# Arrays of detail-types: the rule's trigger, a goal's, a mission step's, a board's.
DETAIL_TYPE_ARRAYS = frozenset({"on"})
# Pattern-language conditions (dict[str, Any] in the models): drawn as a condition builder.
CONDITION_FIELDS = frozenset({"match", "if", "when"})

# Help for fields whose model gives none: what a marketer needs to fill them in.
FIELD_HELP: dict[str, str] = {
    "rule_id": "Lower-case id (letters, digits, . _ -); it cannot change after the first save.",
    "template_id": "Lower-case id shared by every channel and locale variant of a message.",
    "segment_id": "Lower-case id; rules test membership with player.segments.",
    "mission_id": "Lower-case id of the mission.",
    "badge_id": "Lower-case id of the badge.",
    "wheel_id": "Lower-case id of the wheel.",
    "description": "What this is for, in a sentence your colleagues will understand.",
    "enabled": "Off: kept, but the engine ignores it after the next publish.",
    "priority": "Lower runs first when several rules fire on one event (0-10000).",
    "on": "The events that trigger it.",
    "match": "Only when all these conditions hold (empty: always).",
    "if": "Checked again when the timer fires; the actions run only if it still holds.",
    "then": "What happens, in order.",
    "after": "How long to wait, e.g. PT2H (2 hours), P3D (3 days).",
    "channel": "Where the message goes.",
    "locale": "Language of this variant, e.g. en, uk, pt-BR.",
    "category": "Marketing needs the player's consent; service messages do not.",
    "product": (
        "The product this message markets (casino, betting, bingo...): it then also needs the "
        "player's consent for that product, where they answered per product."
    ),
    "subject": 'Email subject or push title; {{ first_name | "there" }} fills in the name.',
    "text": "Plain-text body (SMS text, push body, email text part).",
    "html": "Optional HTML body of an email (no scripts).",
    "per_player": "How many times one player can get it.",
    "marketing": "Off for base loyalty earn that the control group gets too.",
}


def _simplify(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`X | None` -> X with x-nullable; Decimal (number | string) -> number."""
    out = dict(schema)
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o.get("type") != "null"]
        nullable = len(kept) < len(options)
        if len(kept) == 2 and {o.get("type") for o in kept} == {"number", "string"}:
            # A Decimal: drawn as a number; x-decimal tells the form to keep a value that
            # was stored as a string ("1.5") a string, so opening and saving changes nothing.
            kept = [{**next(o for o in kept if o.get("type") == "number"), "x-decimal": True}]
        if len(kept) == 1:
            out.pop("anyOf")
            out = {**kept[0], **out}
            if nullable:
                out["x-nullable"] = True
    return out


def _walk(
    name: str | None, schema: Mapping[str, Any], defs: Mapping[str, Any], seen: tuple[str, ...]
) -> dict[str, Any]:
    node = _simplify(schema)
    ref = node.pop("$ref", None)
    if isinstance(ref, str):
        target = ref.removeprefix("#/$defs/")
        if seen.count(target) >= 2:
            # Two levels of the same model (a timer inside a timer) are enough for a form;
            # anything deeper is edited as JSON in place, which keeps the schema finite.
            return {"type": "object", "x-widget": "json", "title": target, **node}
        node = {**_simplify(defs[target]), **node}
        seen = (*seen, target)
    if name is not None and "description" not in node and name in FIELD_HELP:
        node["description"] = FIELD_HELP[name]
    if name in CONDITION_FIELDS and node.get("type") == "object" and "properties" not in node:
        node["x-widget"] = "condition"
    if name in PICKER_FIELDS and node.get("type") == "string":
        node["x-picker"] = PICKER_FIELDS[name]
    if isinstance(node.get("properties"), dict):
        node["properties"] = {k: _walk(k, v, defs, seen) for k, v in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _walk(None, node["items"], defs, seen)
        if name in DETAIL_TYPE_ARRAYS and node["items"].get("type") == "string":
            node["items"]["x-picker"] = "detail_type"
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list):
            node[key] = [_walk(None, o, defs, seen) for o in node[key]]
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _walk(None, node["additionalProperties"], defs, seen)
    return node


def form_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with every `$ref` inlined, simplified and annotated for forms."""
    raw = model.model_json_schema(mode="validation")
    defs = raw.get("$defs", {})
    return _walk(None, {k: v for k, v in raw.items() if k != "$defs"}, defs, ())


def default_document(schema: Mapping[str, Any]) -> Any:
    """A starting document for a New form: required fields filled with their simplest value.

    Mirrors what the page's form builder does for a new item, so `New` for any kind opens a
    form with its required fields present (never `{}`).
    """
    if "default" in schema:
        return schema["default"]
    if "oneOf" in schema:
        return default_document(schema["oneOf"][0])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        # Required fields, and those with a default worth showing (not a bare null).
        return {
            name: default_document(prop)
            for name, prop in props.items()
            if name in required or prop.get("default") is not None
        }
    if kind == "array":
        return [default_document(schema["items"])] * int(schema.get("minItems", 0))
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(str(kind))


# Where `New` starts for the kinds that have no shipped example to start from.
_SKELETONS: dict[str, dict[str, Any]] = {
    "rule": {
        "rule_id": "my-rule",
        "description": "",
        "on": ["player.logged_in"],
        "match": {"player": {"login_count": [{"numeric": [">=", 1]}]}},
        "then": [{"award_points": {"points": 5, "reason": "login"}}],
    },
    "template": {
        "template_id": "my-template",
        "channel": "email",
        "locale": "en",
        "category": "marketing",
        "subject": 'Hi {{ first_name | "there" }}',
        "text": "...",
    },
    "segment": {
        "segment_id": "my-segment",
        "description": "",
        "match": {"player": {"deposit_count": [{"numeric": [">=", 1]}]}},
    },
}


def new_document(kind: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """What `New` opens for a kind: a valid-looking starting point, never `{}`.

    Game kinds start from their first shipped example (shared/starter/game/<kind>.json)
    under a new id, so a new mission already has a step, a window and a reward to edit.
    """
    if kind in _SKELETONS:
        return copy.deepcopy(_SKELETONS[kind])
    source = resources.files("shared.starter").joinpath("game", f"{kind}.json")
    if source.is_file():
        examples = json.loads(source.read_text(encoding="utf-8"))
        if examples:
            doc: dict[str, Any] = dict(examples[0])
            id_field = next((f for f in schema.get("required", []) if f.endswith("_id")), None)
            if id_field:
                doc[id_field] = f"my-{kind.replace('_', '-')}"
            return doc
    started = default_document(schema)
    return started if isinstance(started, dict) else {}


# Fields of the player document conditions can test beyond the profile's own
# (shared/domain/run/decision.py: match_document).
DERIVED_PLAYER_FIELDS = (
    "points_balance",
    "tier",
    "badges",
    "pending_timers",
    "segments",
    "lifecycle_stage",
    "open_offers",
    "rfm",
    "churn_risk",
    "avg_stake",
    "category_share",
    "weekend_share",
    "days_since_registration",
    "days_since_last_activity",
    "days_since_last_deposit",
    "days_since_last_login",
)


def picker_options(bodies: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """What each picker offers, from the stored items ({kind: {id: body}}), plus the fields
    a condition can test: the player document's and each detail-type's."""
    templates = sorted({"#".join(i.split("#")[:1]) for i in bodies.get("template", {})})
    timers: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, Mapping):
            schedule = node.get("schedule")
            if isinstance(schedule, Mapping) and isinstance(schedule.get("timer"), str):
                timers.add(schedule["timer"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(list(bodies.get("rule", {}).values()))
    return {
        "options": {
            "template": templates,
            "wheel": sorted(bodies.get("wheel", {})),
            "badge": sorted(bodies.get("badge", {})),
            "mission": sorted(bodies.get("mission", {})),
            "segment": sorted(bodies.get("segment", {})),
            "timer": sorted(timers),
            "detail_type": sorted(DETAIL_MODELS),
        },
        "player_fields": sorted({*Profile.model_fields, *DERIVED_PLAYER_FIELDS}),
        "event_fields": {t: sorted(m.model_fields) for t, m in sorted(DETAIL_MODELS.items())},
    }
