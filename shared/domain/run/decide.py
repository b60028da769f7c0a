"""The decision: (player state, event, config, now) -> new state, ledger lines, outbox items.

Pure: no I/O, no wall clock. `now` is only used to keep a timer from being scheduled in
the past when an event arrives late; everything else follows event time, which makes a
decision replayable and testable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from events.models import (
    INTERNAL_DETAIL_SOURCES,
    BadgeGranted,
    DepositReversed,
    EventDetail,
    TimerFired,
)
from shared.domain.authoring.rules import (
    AwardPointsAction,
    CancelTimerAction,
    CascadeAction,
    CompiledRule,
    GrantBadgeAction,
    GrantSpinsAction,
    JoinMissionAction,
    OpenOfferAction,
    ScheduleAction,
    SendAction,
)
from shared.domain.basics.calendar_dates import calendar_window, zone
from shared.domain.basics.durations import format_duration
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import (
    PendingTimer,
    PlayerState,
)
from shared.domain.measurement.budgets import BudgetClaim
from shared.domain.players.profile import apply_event
from shared.domain.run.decision import Decision, TraceLine, match_document, order_events
from shared.domain.run.run_base import RunBase
from shared.domain.run.run_budgets import BudgetsMixin
from shared.domain.run.run_delivery import DeliveryMixin
from shared.domain.run.run_engagement import EngagementMixin
from shared.domain.run.run_experiments import ExperimentsMixin
from shared.domain.run.run_identity import IdentityMixin
from shared.domain.run.run_leaderboards import LeaderboardsMixin
from shared.domain.run.run_missions import MissionsMixin
from shared.domain.run.run_points import PointsMixin
from shared.domain.run.run_rg import RgMixin
from shared.domain.run.run_shop import ShopMixin
from shared.domain.run.run_tiers import TiersMixin
from shared.domain.run.run_timers import TimersMixin
from shared.domain.run.run_wheels import WheelsMixin

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
    """
    return _decide(state, event, config, now, pools, in_place, traced)


def _decide(
    state: PlayerState,
    event: EventDetail,
    config: ConfigSnapshot,
    now: datetime,
    pools: Mapping[tuple[str, str], int] | None,
    in_place: bool = False,
    traced: bool = True,
) -> Decision:
    run = _Run(
        event=event,
        config=config,
        now=now,
        state=state if in_place else state.working_copy(),
        pools=dict(pools or {}),
        traced=traced,
    )
    loss_streak_before = run.state.profile.loss_streak
    profile = apply_event(run.state.profile, event, in_place)
    if profile is not run.state.profile:  # the same one back in place or when ignored
        run.state.profile = profile
    # Identity first: what was dropped, whose contacts these are, a merge folded in.
    run.record_dropped_fields()
    run.check_contacts()
    run.merge_in()
    run.observe_rg(loss_streak_before, in_place)
    run.track_engagement()
    run.track_shop()
    if not run.news_still_wanted():
        return run.decision
    if isinstance(event, TimerFired) and not run.fire_timer(event):
        return run.decision
    if isinstance(event, DepositReversed):
        run.reverse_deposit(event)
    run.apply_game_command()
    run.update_segments()
    doc = match_document(event, run.state, config.match_fields)
    run.update_boards(doc)
    matched = config.rules.matching(event.detail_type, doc)
    for rule in matched:
        if run.limit_reached(rule.rule.limit, rule.rule_id):
            continue
        run.record_fire(rule.rule_id)
        run.execute(rule, run.actions_for(rule), path="")
    # Said only for operator events: platform-made ones usually have no rule, by design.
    if not matched and not run.decision.trace and event.detail_type not in INTERNAL_DETAIL_SOURCES:
        run.trace(None, "profile updated; no rule matched")
    run.advance_missions(doc)
    return run.decision


class _Run(
    PointsMixin,
    TiersMixin,
    TimersMixin,
    DeliveryMixin,
    RgMixin,
    EngagementMixin,
    MissionsMixin,
    WheelsMixin,
    LeaderboardsMixin,
    ExperimentsMixin,
    BudgetsMixin,
    IdentityMixin,
    ShopMixin,
    RunBase,
):
    """An event's decision: rule execution and limits here, each concern in its mixin."""

    def fire_builtin(self, pending: PendingTimer, event: TimerFired) -> None:
        """A platform timer: each concern handles its own kind; the rest are deliveries."""
        handlers = {
            "points_expiry": self.fire_points_expiry,
            "tier_review": self.fire_tier_review,
        }
        handler = handlers.get(str((pending.payload or {}).get("kind")))
        if handler is not None:
            handler(pending, event)
        else:
            DeliveryMixin.fire_builtin(self, pending, event)

    def limit_reached(self, limit: Any, rule_id: str) -> bool:
        if limit is None:
            return False
        fires = self.state.rule_fires.get(rule_id, [])
        at = self.event.occurred_at
        if limit.per is not None:
            # The player's local day (week, month) holding the event, DST-correct.
            time_zone = self.state.profile.time_zone or "UTC"
            start, end, _ = calendar_window(limit.per, at, zone(time_zone))
            recent = [t for t in fires if start <= t < end]
            period = f"{limit.per} in {time_zone}"
        elif limit.period is not None:
            since = at - limit.period
            recent = [t for t in fires if t > since]
            period = format_duration(limit.period)
        else:
            recent, period = fires, "ever"
        if len(recent) >= limit.per_player:
            self.trace(
                rule_id, f"matched, but its limit ({limit.per_player} per {period}) is reached"
            )
            return True
        return False

    def record_fire(self, rule_id: str) -> None:
        rule = self.config.rules.get(rule_id)
        limit = rule.rule.limit if rule else None
        if limit is None:
            return
        fires = [*self.state.rule_fires.get(rule_id, []), self.event.occurred_at]
        # Keep only what the limit can still count, so the item does not grow forever.
        self.state.rule_fires[rule_id] = sorted(fires)[-limit.per_player :]

    def execute(self, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
        outer, self.deliveries = self.deliveries, []
        try:
            self._execute(rule, actions, path)
        finally:
            self.deliveries = outer

    def _execute(self, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
        for i, action in enumerate(actions):
            action_path = f"{path}{i}"
            match action:
                case AwardPointsAction():
                    self.award(rule, action, action_path)
                case SendAction():
                    self.send(rule, action, action_path)
                case ScheduleAction():
                    self.schedule(rule, action, action_path)
                case CancelTimerAction():
                    self.cancel(rule.rule_id, action.cancel_timer.timer, action_path)
                case OpenOfferAction():
                    self.open_offer(rule, action, action_path)
                case CascadeAction():
                    self.cascade(rule, action, action_path)
                case GrantBadgeAction():
                    self.grant_badge(rule.rule_id, action.grant_badge.badge, action_path)
                case GrantSpinsAction():
                    self.grant_spins(rule.rule_id, action, action_path)
                case JoinMissionAction():
                    self.join_mission(rule.rule_id, action.join_mission.mission, action_path)

    def award(self, rule: CompiledRule, action: AwardPointsAction, path: str) -> None:
        spec = action.award_points
        if spec.points is not None:
            points = spec.points
        else:
            amount = self.event.value_of(spec.of or "")
            if not isinstance(amount, Decimal) or spec.rate is None:
                self.trace(rule.rule_id, f"award_points skipped: event has no {spec.of}")
                return
            points = math.floor(amount * spec.rate)
        multiplier, offer = self.state.engagement.multiplier_at(self.event.occurred_at)
        if offer is not None:
            points = math.floor(points * multiplier)
            self.trace(rule.rule_id, f"offer {offer} applies: x{multiplier}")
        if points <= 0:
            self.trace(rule.rule_id, "award_points: 0 points, nothing written")
            return
        if not self.offer_allowed("bonus", rule.rule_id, f"award {points} points", path):
            return
        if self.withheld(rule.rule_id, f"award_points:{points}", path, reward=True):
            return
        if not self.within_budget(rule.rule_id, f"award {points} points", path, points=points):
            return
        self.credit(rule.rule_id, points, path, spec.reason or rule.rule_id)
        self.trace(rule.rule_id, "+{} points (balance {})", points, self.state.points_balance)

    def grant_badge(self, rule_id: str, badge: str, path: str) -> None:
        """Grant a badge once; a second grant (any rule, any replay) changes nothing."""
        if badge in self.state.badges:
            self.trace(rule_id, f"badge {badge}: already held")
            return
        if badge not in self.config.game.badges:
            self.trace(rule_id, f"badge {badge}: not in the catalogue, not granted")
            return
        # Conservative: gamification is engagement marketing, so an excluded player gets
        # no badge either (audited like a refused bonus).
        if not self.offer_allowed("bonus", rule_id, f"grant badge {badge}", path):
            return
        if self.withheld(rule_id, f"grant_badge:{badge}", path, reward=True):
            return
        self.state.badges[badge] = self.event.occurred_at
        self.trace(rule_id, f"badge {badge} granted")
        self.publish(
            f"badge.{badge}",
            BadgeGranted(
                player_id=self.event.player_id,
                event_id=f"badge.{badge}.{self.event.player_id}"[:256],
                occurred_at=self.event.occurred_at,
                badge=badge,
            ),
        )
