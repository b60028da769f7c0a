"""Holdouts and experiments: the global control group, per-rule variants and holdouts.

Everything here is a pure function of ids: a player's bucket is sha256 over a salt (or the
rule and experiment ids) and the player id, never Python's `hash` (salted per process), so
every engine, the dry-run and a report compute the same bucket. Semantics, and which rules
count as marketing: docs/experiments-and-budgets.md.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.domain.language.actions import Action

if TYPE_CHECKING:
    from collections.abc import Sequence

HOLDOUT = "holdout"
# The arm of the players not held out from an experiment that has no variants.
BASE = "base"
# 2**64 buckets: fine enough that a percentage with two decimals is exact in practice.
_SCALE = 2**64

TemplateId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
VariantId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


def unit_bucket(*parts: str) -> Decimal:
    """A stable number in [0, 1) for these parts (the same on every machine, forever)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / _SCALE


class ExperimentSettings(BaseModel):
    """The deployment-wide control group: `control_group_percent` of players (a stable
    hash bucket of salt + player id) get no marketing at all. Stored as the config item
    kind "experiments", id "experiments" (one per deployment), edited in the console."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    policy_id: Literal["experiments"] = "experiments"
    control_group_percent: Annotated[Decimal, Field(ge=0, le=50, decimal_places=2)] = Decimal(0)
    # Changing the salt reshuffles the whole control group: only for a new measurement era.
    salt: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")] = "engage"

    def in_control_group(self, player_id: str) -> bool:
        # bucket < p: raising the percentage only adds players, lowering only releases some.
        if self.control_group_percent <= 0:
            return False
        return unit_bucket(self.salt, player_id) * 100 < self.control_group_percent


class Variant(BaseModel):
    """One arm of an experiment: its own `then`, or the rule's `then` with some templates
    swapped (`templates`: rule template id -> this variant's template id), or neither (the
    rule as written, e.g. the "A" of an A/B test)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    variant: VariantId
    weight: Annotated[int, Field(ge=1, le=10_000)] = 1
    then: list[Action] | None = Field(default=None, min_length=1, max_length=10)
    templates: dict[TemplateId, TemplateId] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _one_way(self) -> Variant:
        if self.then is not None and self.templates:
            raise ValueError("a variant gives its own 'then' or 'templates' overrides, not both")
        return self

    @field_validator("variant")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in (HOLDOUT, BASE):
            raise ValueError(f"{value!r} is reserved (held-out players, or no variants)")
        return value


class Experiment(BaseModel):
    """Per-rule experiment: `holdout_percent` of the players the rule fires for get none of
    its marketing or rewards (recorded as "would have received"); the rest are split over
    the variants by weight. A new `experiment_id` starts a new, independent assignment."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    experiment_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,47}$")]
    holdout_percent: Annotated[Decimal, Field(ge=0, le=90, decimal_places=2)] = Decimal(0)
    variants: list[Variant] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _distinct(self) -> Experiment:
        ids = [v.variant for v in self.variants]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"variants: variant repeated: {dupes}")
        if not self.variants and self.holdout_percent == 0:
            raise ValueError("give variants, a holdout_percent, or both")
        return self

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.variant == variant_id), None)

    def has_arm(self, arm: str) -> bool:
        if arm == HOLDOUT:
            return True
        return self.variant(arm) is not None if self.variants else arm == BASE


class Assignment(BaseModel):
    """Which arm of a rule's experiment a player is in: a variant id, or "holdout"."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    experiment: str
    arm: str


def current_arm(experiment: Experiment | None, recorded: Assignment | None) -> str | None:
    """The player's arm of a rule's current experiment (a variant or "holdout"): what was
    recorded, unless the rule has no experiment now or a different one."""
    if experiment is None or recorded is None:
        return None
    return recorded.arm if recorded.experiment == experiment.experiment_id else None


def draw(experiment: Experiment, rule_id: str, player_id: str) -> str:
    """The arm a player falls in under the experiment's *current* holdout and weights."""
    u = unit_bucket(rule_id, experiment.experiment_id, player_id)
    held = experiment.holdout_percent / 100
    if u < held:
        return HOLDOUT
    if not experiment.variants:
        return BASE
    # Rescale the rest of [0, 1) onto the variants' cumulative weights.
    return _by_weight(experiment.variants, (u - held) / (1 - held))


def _by_weight(variants: Sequence[Variant], u: Decimal) -> str:
    total = sum(v.weight for v in variants)
    point = u * total
    for v in variants:
        if point < v.weight:
            return v.variant
        point -= v.weight
    return variants[-1].variant


def assign(
    experiment: Experiment, rule_id: str, player_id: str, previous: Assignment | None
) -> Assignment:
    """Sticky assignment: a recorded arm of the same experiment is kept, even after the
    weights or the holdout percentage were edited; only a removed variant (or a new
    experiment id) draws again."""
    if (
        previous is not None
        and previous.experiment == experiment.experiment_id
        and experiment.has_arm(previous.arm)
    ):
        return previous
    return Assignment(experiment=experiment.experiment_id, arm=draw(experiment, rule_id, player_id))
