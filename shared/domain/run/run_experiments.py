"""Experiments in a decision: the arm a firing runs, and the holdout gate every marketing
effect passes (sends on any channel, cascades, deferred sends, points, spins, badges,
offers), so a held-out player gets none of them, now or when a timer fires later.

Semantics: docs/experiments-and-budgets.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.domain.authoring.rules import CompiledRule
from shared.domain.measurement.experiments import HOLDOUT, assign
from shared.domain.run.run_base import RunBase


class ExperimentsMixin(RunBase):
    """Sticky assignment at each firing; held-out effects recorded as would-have-received."""

    def actions_for(self, rule: CompiledRule) -> Sequence[Any]:
        """The actions this firing runs: the player's variant's own `then`, or the rule's."""
        experiment = rule.rule.experiment
        if experiment is None:
            return rule.rule.then
        previous = self.state.experiments.get(rule.rule_id)
        assignment = assign(experiment, rule.rule_id, self.event.player_id, previous)
        self.state.experiments[rule.rule_id] = assignment
        how = "kept" if assignment == previous else "assigned"
        self.trace(rule.rule_id, f"experiment {experiment.experiment_id}: {how} {assignment.arm}")
        variant = experiment.variant(assignment.arm)
        if variant is not None and variant.then is not None:
            return variant.then
        return rule.rule.then

    def variant_of(self, rule_id: str) -> str | None:
        """The player's arm of the rule's current experiment (a variant or "holdout")."""
        rule = self.config.rules.get(rule_id)
        experiment = rule.rule.experiment if rule else None
        recorded = self.state.experiments.get(rule_id)
        if experiment is None or recorded is None:
            return None
        return recorded.arm if recorded.experiment == experiment.experiment_id else None

    def template_for(self, rule_id: str, template_id: str) -> str:
        """The template the player's variant sends instead of `template_id`, if it swaps it."""
        rule = self.config.rules.get(rule_id)
        arm = self.variant_of(rule_id)
        if rule is None or rule.rule.experiment is None or arm is None:
            return template_id
        variant = rule.rule.experiment.variant(arm)
        return variant.templates.get(template_id, template_id) if variant else template_id

    def holdout_reason(self, rule_id: str, reward: bool) -> str | None:
        """Why this player gets no marketing effect of `rule_id` (None: they do).

        Messages reach here only when their template is marketing; service messages are
        never held out. Rewards are held out only for configured rules: a wheel prize, a
        store item or a mission reward is what the player played or paid for.
        """
        rule = self.config.rules.get(rule_id)
        if reward and rule is None:
            return None
        exempt = reward and rule is not None and not rule.rule.marketing
        if not exempt and self.config.game.experiments.in_control_group(self.event.player_id):
            return "control_group"
        if self.variant_of(rule_id) == HOLDOUT:
            return "rule_holdout"
        return None

    def withheld(self, rule_id: str, would: str, path: str, *, reward: bool) -> bool:
        """True if the effect is held out; then it is recorded as would-have-received."""
        reason = self.holdout_reason(rule_id, reward)
        if reason is None:
            return False
        arm = self.variant_of(rule_id) or HOLDOUT
        self.trace(rule_id, f"{would}: held out ({reason}, {arm}); recorded as would-have")
        self.audit(
            "held_out", reason, rule_id, {"would": would, "variant": arm}, key=f"{path}.{would}"
        )
        return True
