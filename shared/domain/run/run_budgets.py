"""Budgets in a decision: a rule's reward is paid only if it fits the rule's per-player
budget (kept in the player's state) and its campaign budget (claimed in the commit).

Semantics: docs/experiments-and-budgets.md.

Checks and books each reward of a budgeted rule; over budget means suppressed.
"""

from __future__ import annotations

from shared.domain.measurement.budgets import BudgetClaim, merge_claims, player_budget_key
from shared.domain.run.context import DecisionContext


def within_budget(
    ctx: DecisionContext, rule_id: str, label: str, path: str, *, points: int = 0, spins: int = 0
) -> bool:
    rule = ctx.config.rules.get(rule_id)
    budget = rule.rule.budget if rule else None
    if budget is None:
        return True
    cost = budget.cost(points, spins)
    if cost <= 0:
        return True
    period = budget.period_key(ctx.event.occurred_at)
    mine = player_budget_key(rule_id, period)
    if budget.per_player is not None:
        used = ctx.state.budget_used.get(mine, 0)
        if used + cost > budget.per_player:
            _over(ctx, rule_id, label, "budget_player", budget.per_player, cost, used, path)
            return False
    if budget.campaign is not None:
        # What the pool had paid when the engine read it, plus this decision's claims.
        claimed = sum(c.amount for c in ctx.decision.claims if c.key == (rule_id, period))
        used = ctx.pools.get((rule_id, period), 0) + claimed
        if used + cost > budget.campaign:
            _over(ctx, rule_id, label, "budget_campaign", budget.campaign, cost, used, path)
            return False
        claim = BudgetClaim(rule_id, period, cost, budget.campaign)
        ctx.decision.claims = merge_claims(ctx.decision.claims, [claim])
    if budget.per_player is not None:
        # Only the current period can still be spent from: older ones are dropped.
        stale = [k for k in ctx.state.budget_used if k.startswith(f"{rule_id}#") and k != mine]
        for key in stale:
            del ctx.state.budget_used[key]
        ctx.state.budget_used[mine] = ctx.state.budget_used.get(mine, 0) + cost
    return True


def _over(
    ctx: DecisionContext,
    rule_id: str,
    label: str,
    reason: str,
    limit: int,
    cost: int,
    used: int,
    path: str,
) -> None:
    ctx.trace(rule_id, f"{label}: suppressed, {reason} ({used} + {cost} > {limit})")
    ctx.audit(
        "suppression",
        reason,
        rule_id,
        {"budget": str(limit), "cost": str(cost)},
        key=f"{path}.{reason}",
    )
