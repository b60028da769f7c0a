"""The decision: (player state, event, config, now) -> new state, ledger lines, outbox items.

Pure: no I/O, no wall clock. `now` is only used to keep a timer from being scheduled in
the past when an event arrives late; everything else follows event time, which makes a
decision replayable and testable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from events.models import (
    INTERNAL_DETAIL_SOURCES,
    DepositReversed,
    EventDetail,
    TimerFired,
)
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PendingTimer, PlayerState
from shared.domain.measurement.budgets import BudgetClaim
from shared.domain.players.engagement import LIFECYCLE_RULE
from shared.domain.players.profile import apply_event
from shared.domain.run import (
    run_delivery,
    run_engagement,
    run_identity,
    run_leaderboards,
    run_missions,
    run_points,
    run_rg,
    run_rules,
    run_shop,
    run_tiers,
    run_timers,
    run_wheels,
)
from shared.domain.run.context import DecisionContext
from shared.domain.run.decision import Decision, TraceLine, match_document, order_events
from shared.domain.run.rule_probe import RuleProbe

__all__ = ["Decision", "TraceLine", "decide", "decide_all", "match_document", "order_events"]


def decide_all(
    state: PlayerState,
    events: Sequence[EventDetail],
    config: ConfigSnapshot,
    now: datetime,
    pools: Mapping[tuple[str, str], int] | None = None,
) -> Decision:
    """Apply a player's events in event-time order, folding one Decision."""
    total = Decision(state=state)
    for event in order_events(events):
        total.extend(decide(total.state, event, config, now, with_claims(pools, total.claims)))
    return total


def with_claims(
    pools: Mapping[tuple[str, str], int] | None, claims: Sequence[BudgetClaim]
) -> dict[tuple[str, str], int]:
    """Budget usage as read, plus what earlier steps of the same commit already claimed."""
    used = dict(pools or {})
    for claim in claims:
        used[claim.key] = used.get(claim.key, 0) + claim.amount
    return used


def decide(
    state: PlayerState,
    event: EventDetail,
    config: ConfigSnapshot,
    now: datetime,
    pools: Mapping[tuple[str, str], int] | None = None,
    *,
    in_place: bool = False,
    traced: bool = True,
    display_facts: bool = True,
    probe: RuleProbe | None = None,
) -> Decision:
    """Decide what one event does for one player.

    `pools` is the campaign budget usage the caller read ((rule, period) -> units paid);
    it only steers the decision: the claims it returns are checked again at commit.
    The given state is never changed (the suite checks this on every decision it makes:
    tests/conftest.py) — unless the caller gives it up with `in_place`: then the decision
    changes it and returns it as its state, saving the working copy. Only a caller that
    keeps no reference to the state before the event may do so (the backtest's replay;
    not the engine, which re-decides from its loaded state after a lost race).

    `traced=False` leaves the decision's trace empty: for a caller that never reads it (the
    backtest's replay, which re-runs only the players it explains with the trace on).

    `display_facts=False` leaves the state's RFM score as it was when no condition of the
    config reads it: the score is kept for people to see (console, CLI), and recounting
    the window on every event is about 6 % of a replayed decision. For a caller that never
    shows the state (the backtest's replay); the decision's effects are the same.

    `probe` (rule_probe.py) is told whether the decision met any of a draft's changed rules:
    the backtest's replay of the published config, to know whom the draft can reach.
    """
    return _decide(state, event, config, now, pools, in_place, traced, display_facts, probe)


def _decide(
    state: PlayerState,
    event: EventDetail,
    config: ConfigSnapshot,
    now: datetime,
    pools: Mapping[tuple[str, str], int] | None,
    in_place: bool = False,
    traced: bool = True,
    display_facts: bool = True,
    probe: RuleProbe | None = None,
) -> Decision:
    """The order the concerns see an event in: this function is the whole of it."""
    ctx = DecisionContext(
        event=event,
        config=config,
        now=now,
        state=state if in_place else state.working_copy(),
        pools=dict(pools or {}),
        executor=run_rules.execute,
        traced=traced,
        scores_rfm=display_facts or config.reads_rfm or (probe is not None and probe.reads_rfm),
    )
    # Folds: each concern takes the event into its own slice of the state.
    loss_streak_before = ctx.state.profile.loss_streak
    profile = apply_event(ctx.state.profile, event, in_place)
    if profile is not ctx.state.profile:  # the same one back in place or when ignored
        ctx.state.profile = profile
    # Identity first: what was dropped, whose contacts these are, a merge folded in.
    run_identity.record_dropped_fields(ctx)
    run_identity.check_contacts(ctx)
    run_identity.merge_in(ctx)
    run_rg.observe_rg(ctx, loss_streak_before, in_place)
    run_engagement.track_engagement(ctx)
    run_shop.track_shop(ctx)
    if not run_shop.news_still_wanted(ctx):
        return ctx.decision
    # Commands: what the event asks of a concern (a timer's due work, a clawback, a spin).
    if isinstance(event, TimerFired):
        if probe is not None:
            probe.timer_fired(event.rule_id)
        pending = run_timers.take_fired(ctx, event)
        if pending is None:
            return ctx.decision
        _fire(ctx, event, pending)
    if isinstance(event, DepositReversed):
        run_points.reverse_deposit(ctx, event)
    run_wheels.apply_game_command(ctx)
    # Reactions: segments, boards, the rules that match, then missions on the same view.
    run_engagement.update_segments(ctx)
    doc = match_document(event, ctx.state, config.match_fields)
    if probe is not None:
        probe.see(event, ctx.state, doc, config.match_fields)
    run_leaderboards.update_boards(ctx, doc)
    matched = config.rules.matching(event.detail_type, doc)
    if probe is not None:
        probe.look(event, matched)
    for rule in matched:
        if not run_rules.limit_reached(ctx, rule.rule.limit, rule.rule_id):
            run_rules.fire(ctx, rule)
    # Said only for operator events: platform-made ones usually have no rule, by design.
    if not matched and not ctx.decision.trace and event.detail_type not in INTERNAL_DETAIL_SOURCES:
        ctx.trace(None, "profile updated; no rule matched")
    run_missions.advance_missions(ctx, doc)
    return ctx.decision


def _fire(ctx: DecisionContext, event: TimerFired, pending: PendingTimer) -> None:
    """A due timer goes to the concern that armed it; platform timers say so in their payload."""
    if pending.rule_id == LIFECYCLE_RULE:
        run_engagement.fire_lifecycle(ctx, event)
    elif pending.payload is None:
        run_timers.fire_rule_timer(ctx, event, pending)
    else:
        kind = pending.payload.get("kind")
        if kind == "points_expiry":
            run_points.fire_points_expiry(ctx, pending, event)
        elif kind == "tier_review":
            run_tiers.fire_tier_review(ctx, pending, event)
        else:  # a deferred send, a cascade's next step
            run_delivery.fire_delivery(ctx, pending, event)
