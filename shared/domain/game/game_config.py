"""The game layer's config kinds: points policy, tiers, badges, missions, leaderboards,
wheels and reward-store items, each validated on its own so one bad item never hides the
rest (the same contract as rules: skipped and reported as a ConfigProblem)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.domain.authoring.rules import (
    GrantBadgeAction,
    GrantSpinsAction,
    JoinMissionAction,
    Rule,
    walk_rule,
)
from shared.domain.game.badges import Badge
from shared.domain.game.leaderboards import Leaderboard
from shared.domain.game.missions import Mission
from shared.domain.game.points import PointsPolicy
from shared.domain.game.reward_store import StoreItem
from shared.domain.game.tiers import TierProgram
from shared.domain.game.wheels import Wheel
from shared.domain.language.validation import describe_validation_error
from shared.domain.measurement.experiments import ExperimentSettings

# kind (the config table's partition) -> (model, the field that is its id)
GAME_KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "points": (PointsPolicy, "policy_id"),
    "tiers": (TierProgram, "program_id"),
    "badge": (Badge, "badge_id"),
    "mission": (Mission, "mission_id"),
    "leaderboard": (Leaderboard, "board_id"),
    "wheel": (Wheel, "wheel_id"),
    "store_item": (StoreItem, "item_id"),
    # The global control group (one item, id "experiments"): docs/experiments-and-budgets.md.
    "experiments": (ExperimentSettings, "policy_id"),
}


@dataclass(frozen=True)
class GameConfig:
    """Every game item of a published config, valid ones only, by id."""

    points: PointsPolicy = field(default_factory=PointsPolicy)
    tiers: TierProgram | None = None
    badges: Mapping[str, Badge] = field(default_factory=dict)
    missions: Mapping[str, Mission] = field(default_factory=dict)
    leaderboards: Mapping[str, Leaderboard] = field(default_factory=dict)
    wheels: Mapping[str, Wheel] = field(default_factory=dict)
    store: Mapping[str, StoreItem] = field(default_factory=dict)
    experiments: ExperimentSettings = field(default_factory=ExperimentSettings)


@dataclass(frozen=True)
class GameProblem:
    kind: str
    item_id: str
    reason: str


def game_references(rule: Rule, game: GameConfig) -> list[str]:
    """A rule's references to game items that do not exist (each 'path: reason')."""
    missing = []
    for where, path, action in walk_rule(rule):
        at = f"{where}.{path}"
        if isinstance(action, GrantBadgeAction) and action.grant_badge.badge not in game.badges:
            missing.append(f"{at}.grant_badge.badge: no badge {action.grant_badge.badge!r}")
        if isinstance(action, GrantSpinsAction) and action.grant_spins.wheel not in game.wheels:
            missing.append(f"{at}.grant_spins.wheel: no wheel {action.grant_spins.wheel!r}")
        if isinstance(action, JoinMissionAction):
            wanted = action.join_mission.mission
            mission = game.missions.get(wanted)
            if mission is None:
                missing.append(f"{at}.join_mission.mission: no mission {wanted!r}")
            elif mission.enrollment != "opt_in":
                missing.append(f"{at}.join_mission.mission: {wanted!r} is automatic, not opt-in")
    return missing


def reward_references(item: BaseModel, game: GameConfig) -> list[str]:
    """A wheel's prizes' or a store item's references to badges/wheels that do not exist."""
    gives: list[tuple[str, Any]] = []
    if isinstance(item, Wheel):
        gives = [(f"prizes.{i}", p) for i, p in enumerate(item.prizes)]
    elif isinstance(item, StoreItem):
        gives = [("", item)]
    missing = []
    for path, thing in gives:
        where = f"{path}." if path else ""
        badge, spins = getattr(thing, "badge", None), getattr(thing, "spins", None)
        if badge is not None and badge not in game.badges:
            missing.append(f"{where}badge: no badge {badge!r}")
        if spins is not None and spins.wheel not in game.wheels:
            missing.append(f"{where}spins.wheel: no wheel {spins.wheel!r}")
    return missing


def _drop_dangling(game: GameConfig, problems: list[GameProblem]) -> GameConfig:
    """Refuse wheels and store items that would pay a badge or spins that do not exist."""
    kept: dict[str, dict[str, Any]] = {"wheel": {}, "store_item": {}}
    for kind, items in (("wheel", game.wheels), ("store_item", game.store)):
        for item_id, item in items.items():
            missing = reward_references(item, game)
            if missing:
                problems.append(GameProblem(kind, item_id, "; ".join(missing)))
            else:
                kept[kind][item_id] = item
    return replace(game, wheels=kept["wheel"], store=kept["store_item"])


def parse_game_item(kind: str, raw: Mapping[str, Any]) -> BaseModel:
    """Validate one item of a game kind; raises ValidationError (field paths) or KeyError."""
    model, _ = GAME_KINDS[kind]
    return model.model_validate(raw)


def build_game_config(
    items: Mapping[str, Iterable[Mapping[str, Any]]],
) -> tuple[GameConfig, list[GameProblem]]:
    """Validate each kind's raw items; refused ones are reported, the rest are kept."""
    problems: list[GameProblem] = []
    valid: dict[str, dict[str, Any]] = {kind: {} for kind in GAME_KINDS}
    for kind, raws in items.items():
        if kind not in GAME_KINDS:
            problems.append(
                GameProblem(kind, "?", f"unknown game kind; known {sorted(GAME_KINDS)}")
            )
            continue
        model, id_field = GAME_KINDS[kind]
        for raw in raws:
            item_id = str(raw.get(id_field) or raw.get("_unreadable") or "?")
            if "_unreadable" in raw:
                problems.append(GameProblem(kind, item_id, "stored body is not a JSON object"))
                continue
            try:
                parsed = model.model_validate(raw)
            except ValidationError as exc:
                problems.append(GameProblem(kind, item_id, describe_validation_error(exc)))
                continue
            if getattr(parsed, "enabled", True):
                valid[kind][item_id] = parsed
    names = sorted(valid["tiers"])
    programs = [valid["tiers"][name] for name in names]
    if len(programs) > 1:
        # The first by id is used, so which one runs never depends on read order.
        problems.append(
            GameProblem("tiers", names[1], f"only one enabled tier program at a time: {names}")
        )
    points = valid["points"].get("points", PointsPolicy())
    game = GameConfig(
        points=points,
        tiers=programs[0] if programs else None,
        badges=valid["badge"],
        missions=valid["mission"],
        leaderboards=valid["leaderboard"],
        wheels=valid["wheel"],
        store=valid["store_item"],
        experiments=valid["experiments"].get("experiments", ExperimentSettings()),
    )
    return _drop_dangling(game, problems), problems
