"""Badges in a decision: granted once per player, gated and held out like any bonus."""

from __future__ import annotations

from events.models import BadgeGranted
from shared.domain.run import run_experiments, run_rg
from shared.domain.run.context import DecisionContext


def grant_badge(ctx: DecisionContext, rule_id: str, badge: str, path: str) -> None:
    """Grant a badge once; a second grant (any rule, any replay) changes nothing."""
    if badge in ctx.state.badges:
        ctx.trace(rule_id, f"badge {badge}: already held")
        return
    if badge not in ctx.config.game.badges:
        ctx.trace(rule_id, f"badge {badge}: not in the catalogue, not granted")
        return
    # Conservative: gamification is engagement marketing, so an excluded player gets
    # no badge either (audited like a refused bonus).
    if not run_rg.offer_allowed(ctx, "bonus", rule_id, f"grant badge {badge}", path):
        return
    if run_experiments.withheld(ctx, rule_id, f"grant_badge:{badge}", path, reward=True):
        return
    ctx.state.badges[badge] = ctx.event.occurred_at
    ctx.trace(rule_id, f"badge {badge} granted")
    ctx.publish(
        f"badge.{badge}",
        BadgeGranted(
            player_id=ctx.event.player_id,
            event_id=f"badge.{badge}.{ctx.event.player_id}"[:256],
            occurred_at=ctx.event.occurred_at,
            badge=badge,
        ),
    )
