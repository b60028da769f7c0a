"""Experiments in a decision: the arm a firing runs, and the holdout gate every marketing
effect passes (sends on any channel, cascades, deferred sends, points, spins, badges,
offers), so a held-out player gets none of them, now or when a timer fires later.

Semantics: docs/experiments-and-budgets.md.

Sticky assignment at each firing; held-out effects recorded as would-have-received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.domain.authoring.rules import CompiledRule
from shared.domain.measurement.experiments import HOLDOUT, assign
from shared.domain.run.context import DecisionContext


def actions_for(ctx: DecisionContext, rule: CompiledRule) -> Sequence[Any]:
    """The actions this firing runs: the player's variant's own `then`, or the rule's."""
    experiment = rule.rule.experiment
    if experiment is None:
        return rule.rule.then
    previous = ctx.state.experiments.get(rule.rule_id)
    assignment = assign(experiment, rule.rule_id, ctx.event.player_id, previous)
    ctx.state.experiments[rule.rule_id] = assignment
    how = "kept" if assignment == previous else "assigned"
    ctx.trace(rule.rule_id, f"experiment {experiment.experiment_id}: {how} {assignment.arm}")
    variant = experiment.variant(assignment.arm)
    if variant is not None and variant.then is not None:
        return variant.then
    return rule.rule.then


def template_for(ctx: DecisionContext, rule_id: str, template_id: str) -> str:
    """The template the player's variant sends instead of `template_id`, if it swaps it."""
    rule = ctx.config.rules.get(rule_id)
    arm = ctx.variant_of(rule_id)
    if rule is None or rule.rule.experiment is None or arm is None:
        return template_id
    variant = rule.rule.experiment.variant(arm)
    return variant.templates.get(template_id, template_id) if variant else template_id


def holdout_reason(ctx: DecisionContext, rule_id: str, reward: bool) -> str | None:
    """Why this player gets no marketing effect of `rule_id` (None: they do).

    Messages reach here only when their template is marketing; service messages are
    never held out. Rewards are held out only for configured rules: a wheel prize, a
    store item or a mission reward is what the player played or paid for.
    """
    rule = ctx.config.rules.get(rule_id)
    if reward and rule is None:
        return None
    exempt = reward and rule is not None and not rule.rule.marketing
    if not exempt and ctx.config.game.experiments.in_control_group(ctx.event.player_id):
        return "control_group"
    if ctx.variant_of(rule_id) == HOLDOUT:
        return "rule_holdout"
    return None


def withheld(ctx: DecisionContext, rule_id: str, would: str, path: str, *, reward: bool) -> bool:
    """True if the effect is held out; then it is recorded as would-have-received."""
    reason = holdout_reason(ctx, rule_id, reward)
    if reason is None:
        return False
    arm = ctx.variant_of(rule_id) or HOLDOUT
    ctx.trace(rule_id, f"{would}: held out ({reason}, {arm}); recorded as would-have")
    ctx.audit("held_out", reason, rule_id, {"would": would, "variant": arm}, key=f"{path}.{would}")
    return True
