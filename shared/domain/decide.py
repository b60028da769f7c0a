"""The decision: (player state, event, config, now) -> new state, ledger lines, outbox items.

Pure: no I/O, no wall clock. `now` is only used to keep a timer from being scheduled in
the past when an event arrives late; everything else follows event time, which makes a
decision replayable and testable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from events.models import (
    INTERNAL_DETAIL_SOURCES,
    EventDetail,
    LifecycleChanged,
    RgAlert,
    SegmentEntered,
    SegmentExited,
    TimerFired,
)
from shared.domain.calendar_dates import next_local_occurrence
from shared.domain.config import TEMPLATE_VARIABLES, ConfigSnapshot
from shared.domain.delivery import (
    SentRecord,
    cap_reason,
    duplicate_of,
    next_cap_reset,
    quiet_until,
)
from shared.domain.durations import format_duration
from shared.domain.engagement import (
    ACTIVITY_TYPES,
    LIFECYCLE_RULE,
    SPENDING_TYPES,
    Command,
    Offer,
    lifecycle_on_activity,
    lifecycle_on_timer,
    record_activity,
    rfm,
    zone,
)
from shared.domain.profile import apply_event
from shared.domain.rg import GateClass, gate, observe
from shared.domain.rules import (
    AwardPointsAction,
    CancelTimerAction,
    CascadeAction,
    CompiledRule,
    OpenOfferAction,
    Schedule,
    ScheduleAction,
    SendAction,
    walk_actions,
)
from shared.domain.segments import evaluate
from shared.domain.state import (
    AuditCategory,
    AuditEntry,
    CancelTimer,
    LedgerEntry,
    OutboxItem,
    PendingTimer,
    PlayerState,
    PublishEvent,
    ScheduleTimer,
    SendMessage,
    schedule_name,
    stable_id,
)

# A timer due in the past (late event) fires this long after now instead.
MIN_TIMER_LEAD = timedelta(minutes=1)


@dataclass(frozen=True)
class TraceLine:
    """One explained step of a decision (no PII: ids, rule names, amounts of points)."""

    event_id: str
    detail_type: str
    rule_id: str | None
    text: str

    def __str__(self) -> str:
        who = f"rule {self.rule_id}" if self.rule_id else "engine"
        return f"{who}: {self.text}"


@dataclass
class Decision:
    state: PlayerState
    ledger: list[LedgerEntry] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    trace: list[TraceLine] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    def extend(self, step: Decision) -> None:
        """Append a later step's writes (its state replaces ours)."""
        self.state = step.state
        self.ledger += step.ledger
        self.outbox += step.outbox
        self.trace += step.trace
        self.audit += step.audit

    @property
    def write_count(self) -> int:
        return len(self.ledger) + len(self.outbox) + len(self.audit)


def _plain(value: Any) -> Any:
    """Document value for pattern matching: times as ISO strings, Decimals kept exact."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def match_document(event: EventDetail, state: PlayerState) -> dict[str, Any]:
    """The document conditions are evaluated on: {"event": detail, "player": profile}.

    Beyond the profile's own fields, `player` carries derived facts (see
    docs/segments-and-lifecycle.md): segments, lifecycle stage, RFM, shares of play.
    "Days since" facts are measured at the event's time, so a replay sees the same values.
    """
    profile = state.profile
    player = profile.model_dump()
    engagement = state.engagement
    t = event.occurred_at
    player["points_balance"] = state.points_balance
    player["pending_timers"] = sorted(state.timers)
    player["segments"] = sorted(state.segments)
    player["lifecycle_stage"] = engagement.stage
    player["open_offers"] = sorted(k for k, o in engagement.offers.items() if o.open_at(t))
    if engagement.rfm is not None:
        player["rfm"] = engagement.rfm.model_dump()
        player["churn_risk"] = engagement.rfm.churn_risk
    rounds = profile.rounds_played
    if rounds:
        # Mixed-currency stakes are summed as they are: operators usually run one currency.
        player["avg_stake"] = (sum(profile.stake_totals.values(), Decimal(0)) / rounds).quantize(
            Decimal("0.01")
        )
        player["category_share"] = {
            c: (Decimal(n) / rounds).quantize(Decimal("0.01"))
            for c, n in profile.category_rounds.items()
        }
        player["weekend_share"] = (Decimal(engagement.weekend_rounds) / rounds).quantize(
            Decimal("0.01")
        )
    for name, since in (
        ("days_since_registration", profile.registered_at),
        ("days_since_last_activity", profile.last_activity_at),
        ("days_since_last_deposit", profile.last_deposit_at),
        ("days_since_last_login", profile.last_login_at),
    ):
        if since is not None:
            player[name] = max(0, (t - since).days)
    return {"event": _plain(event.model_dump()), "player": _plain(player)}


def order_events(events: Iterable[EventDetail]) -> list[EventDetail]:
    """Event-time order; event_id breaks ties so the order is total and repeatable."""
    return sorted(events, key=lambda e: (e.occurred_at.astimezone(UTC), e.event_id))


def decide_all(
    state: PlayerState, events: Sequence[EventDetail], config: ConfigSnapshot, now: datetime
) -> Decision:
    """Apply a player's events in event-time order, folding one Decision."""
    total = Decision(state=state)
    for event in order_events(events):
        total.extend(decide(total.state, event, config, now))
    return total


def decide(
    state: PlayerState, event: EventDetail, config: ConfigSnapshot, now: datetime
) -> Decision:
    """Decide what one event does for one player."""
    run = _Run(event=event, config=config, now=now, state=state.model_copy(deep=True))
    loss_streak_before = run.state.profile.loss_streak
    run.state.profile = apply_event(run.state.profile, event)
    run.observe_rg(loss_streak_before)
    run.track_engagement()
    if isinstance(event, TimerFired) and not run.fire_timer(event):
        return run.decision
    run.update_segments()
    doc = match_document(event, run.state)
    matched = config.rules.matching(event.detail_type, doc)
    for rule in matched:
        if run.limit_reached(rule.rule.limit, rule.rule_id):
            continue
        run.record_fire(rule.rule_id)
        run.execute(rule, rule.rule.then, path="")
    # Said only for operator events: platform-made ones usually have no rule, by design.
    if not matched and not run.decision.trace and event.detail_type not in INTERNAL_DETAIL_SOURCES:
        run.trace(None, "profile updated; no rule matched")
    return run.decision


@dataclass
class _Run:
    event: EventDetail
    config: ConfigSnapshot
    now: datetime
    state: PlayerState
    decision: Decision = field(init=False)

    def __post_init__(self) -> None:
        self.decision = Decision(state=self.state)

    def trace(self, rule_id: str | None, text: str) -> None:
        self.decision.trace.append(
            TraceLine(self.event.event_id, self.event.detail_type, rule_id, text)
        )

    def audit(
        self,
        category: AuditCategory,
        reason: str,
        rule_id: str | None = None,
        inputs: dict[str, str] | None = None,
        key: str = "",
    ) -> None:
        retention = timedelta(days=self.config.rg_thresholds.audit_retention_days)
        self.decision.audit.append(
            AuditEntry(
                audit_id=self._ids(rule_id or "-", f"audit.{category}.{key}"),
                player_id=self.event.player_id,
                occurred_at=self.event.occurred_at,
                category=category,
                stage="decision",
                reason=reason,
                inputs=inputs or {},
                event_id=self.event.event_id,
                rule_id=rule_id,
                retain_until=self.now + retention,
            )
        )

    def suppress(self, rule_id: str, what: str, reason: str, path: str) -> None:
        self.trace(rule_id, f"{what}: suppressed, {reason}")
        self.audit("suppression", f"{what}: {reason}", rule_id, {"action": what}, key=path)

    # --- responsible gaming -------------------------------------------------------------

    def offer_allowed(self, what: GateClass, rule_id: str, label: str, path: str) -> bool:
        # Both the event's time and now: an offer for play that happened while excluded is
        # refused, and so is one decided while excluded.
        verdict = gate(self.state.rg, what, (self.event.occurred_at, self.now))
        if not verdict.allowed:
            self.suppress(rule_id, label, verdict.reason or "responsible gaming", path)
        return verdict.allowed

    def observe_rg(self, loss_streak_before: int) -> None:
        seen = observe(
            self.state.rg,
            self.event,
            loss_streak_before=loss_streak_before,
            time_zone=self.state.profile.time_zone,
            thresholds=self.config.rg_thresholds,
        )
        self.state.rg = seen.status
        for flag in seen.raised:
            self.trace(None, f"rg flag {flag.name} raised: {flag.reason}")
            self.audit("flag", flag.reason, None, flag.inputs, key=flag.name)
            alert = RgAlert(
                player_id=self.event.player_id,
                event_id=f"rg-alert.{flag.name}.{self.event.event_id}",
                occurred_at=self.event.occurred_at,
                flag=flag.name,
                reason=flag.reason,
                inputs=flag.inputs,
            )
            self._outbox(
                "rg",
                f"alert.{flag.name}",
                PublishEvent(
                    detail_type=RgAlert.detail_type,
                    detail=alert.model_dump(mode="json"),
                    compliance=True,
                ),
            )
        if seen.excluded_now is not None:
            exclusion = seen.excluded_now
            until = exclusion.until.isoformat() if exclusion.until else "indefinitely"
            self.trace(None, f"{exclusion.kind.replace('_', ' ')} until {until}")
            self.audit("exclusion", f"{exclusion.kind} until {until}", key=exclusion.kind)
            self.cancel_offer_timers()

    def cancel_offer_timers(self) -> None:
        """On exclusion, disarm every pending timer that would make an offer."""
        for name, pending in sorted(self.state.timers.items()):
            if pending.rule_id == LIFECYCLE_RULE:
                continue  # bookkeeping, not an offer
            if not self._timer_makes_offer(name, pending):
                continue  # service-only timers (e.g. a security notice) keep running
            del self.state.timers[name]
            self._outbox(
                pending.rule_id,
                f"rg.cancel.{name}",
                CancelTimer(
                    timer=name, schedule_name=pending.schedule_name, generation=pending.generation
                ),
            )
            self.trace(pending.rule_id, f"timer {name} cancelled by exclusion")
            self.audit(
                "timer_cancelled",
                f"timer {name} cancelled: player excluded",
                pending.rule_id,
                key=name,
            )

    def _timer_makes_offer(self, name: str, pending: PendingTimer) -> bool:
        payload = pending.payload
        if payload is not None:
            # A deferred send or a cascade step: an offer unless its template is service.
            channels = payload.get("channels") or [payload.get("channel", "email")]
            template = self.config.template(str(payload.get("template")), channels[0], None)
            return template is None or template.category == "marketing"
        rule = self.config.rules.get(pending.rule_id)
        spec = rule.timers.get(name) if rule else None
        # An unknown rule's timer is cancelled: when in doubt, no offer.
        return spec is None or self._makes_offer(spec[0].then)

    def _makes_offer(self, actions: Sequence[Any]) -> bool:
        for _, action in walk_actions(actions):
            if isinstance(action, AwardPointsAction):
                return True
            if isinstance(action, SendAction):
                template = self.config.template(action.send.template, action.send.channel, None)
                if template is None or template.category == "marketing":
                    return True
        return False

    # --- timers -------------------------------------------------------------------------

    def fire_timer(self, event: TimerFired) -> bool:
        """Run a due timer's re-checked actions; False if the fire is stale and ignored."""
        pending = self.state.timers.get(event.timer)
        if pending is None or pending.generation != event.generation:
            # Cancelled or re-armed since this schedule was made: the fire is a no-op.
            self.trace(event.rule_id, f"timer {event.timer} #{event.generation} is stale: ignored")
            return False
        del self.state.timers[event.timer]
        if pending.rule_id == LIFECYCLE_RULE:
            self.fire_lifecycle(event)
            return True
        if pending.payload is not None:
            self.fire_builtin(pending, event)
            return True
        rule = self.config.rules.get(pending.rule_id)
        spec = rule.timers.get(event.timer) if rule else None
        if rule is None or spec is None:
            self.trace(
                pending.rule_id, f"timer {event.timer} fired but its rule is gone: nothing to do"
            )
            return True
        schedule, condition = spec
        if schedule.slide_with is not None and schedule.after is not None:
            anchor = self._player_time(schedule.slide_with)
            if anchor is not None and anchor + schedule.after > event.occurred_at + MIN_TIMER_LEAD:
                # The player did it again since: wait for `after` past the latest time.
                self.trace(rule.rule_id, f"timer {event.timer}: {schedule.slide_with} moved on")
                self.arm_timer(rule.rule_id, event.timer, anchor + schedule.after, "slide")
                return True
        why_not = condition.explain(match_document(event, self.state)) if condition else None
        if why_not is not None:
            self.trace(
                rule.rule_id, f"timer {event.timer} fired; condition no longer holds ({why_not})"
            )
        else:
            self.trace(rule.rule_id, f"timer {event.timer} fired; condition holds")
            self.execute(rule, schedule.then, path=f"timer.{event.timer}.")
        if schedule.repeat:
            # Re-armed whether or not the condition held: next year's birthday still counts.
            due = self.due_for(schedule, event.occurred_at)
            if due is not None:
                self.arm_timer(rule.rule_id, event.timer, due, "repeat")
        return True

    def _player_time(self, name: str) -> datetime | None:
        value = getattr(self.state.profile, name, None)
        return value if isinstance(value, datetime) else None

    # --- limits -------------------------------------------------------------------------

    def limit_reached(self, limit: Any, rule_id: str) -> bool:
        if limit is None:
            return False
        fires = self.state.rule_fires.get(rule_id, [])
        since = self.event.occurred_at - limit.period if limit.period else None
        recent = [t for t in fires if since is None or t > since]
        if len(recent) >= limit.per_player:
            period = format_duration(limit.period) if limit.period else "ever"
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

    # --- actions ------------------------------------------------------------------------

    def execute(self, rule: CompiledRule, actions: Sequence[Any], path: str) -> None:
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

    def _ids(self, rule_id: str, path: str) -> str:
        return stable_id(self.event.player_id, self.event.event_id, rule_id, path)

    def _outbox(self, rule_id: str, path: str, effect: Any) -> None:
        self.decision.outbox.append(
            OutboxItem(
                outbox_id=self._ids(rule_id, path),
                player_id=self.event.player_id,
                event_id=self.event.event_id,
                rule_id=rule_id,
                created_at=self.now,
                effect=effect,
            )
        )

    def award(self, rule: CompiledRule, action: AwardPointsAction, path: str) -> None:
        spec = action.award_points
        if spec.points is not None:
            points = spec.points
        else:
            amount = getattr(self.event, spec.of or "", None)
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
        self.state.points_balance += points
        self.decision.ledger.append(
            LedgerEntry(
                entry_id=self._ids(rule.rule_id, path),
                player_id=self.event.player_id,
                points=points,
                balance_after=self.state.points_balance,
                rule_id=rule.rule_id,
                event_id=self.event.event_id,
                occurred_at=self.event.occurred_at,
                reason=spec.reason or rule.rule_id,
            )
        )
        self.trace(rule.rule_id, f"+{points} points (balance {self.state.points_balance})")

    def send(self, rule: CompiledRule, action: SendAction, path: str) -> None:
        spec = action.send
        self.deliver(rule.rule_id, spec.template, spec.channel, path, on_cap=spec.on_cap)

    def _address(self, channel: str) -> tuple[str | None, list[str], str | None]:
        """(to, devices, why not) for a channel: email and phone, device tokens, or nothing."""
        profile = self.state.profile
        if channel == "email":
            return profile.email, [], None if profile.email else "no email address"
        if channel == "sms":
            return profile.phone, [], None if profile.phone else "no phone number"
        if channel == "push":
            tokens = [d.token for d in getattr(profile, "devices", [])]
            return None, tokens, None if tokens else "no push device"
        return None, [], None

    def usable(self, template_id: str, channel: str) -> str | None:
        """Why a channel cannot carry this message to this player now (cascades skip it)."""
        template = self.config.template(template_id, channel, self.state.profile.locale)
        if template is None:
            return f"no {channel} template"
        if (
            template.category == "marketing"
            and channel != "inbox"
            and not getattr(self.state.profile.consents, channel, False)
        ):
            return f"no {channel} consent"
        return self._address(channel)[2]

    def deliver(
        self, rule_id: str, template_id: str, channel: Any, path: str, *, on_cap: str = "drop"
    ) -> bool:
        """Put one message in the outbox if every gate allows it; True if sent or deferred."""
        profile = self.state.profile
        label = f"send {template_id} by {channel}"
        template = self.config.template(template_id, channel, profile.locale)
        if template is None:
            self.suppress(rule_id, label, f"no {channel} template", path)
            return False
        marketing = template.category == "marketing"
        if marketing and not self.offer_allowed("marketing_message", rule_id, label, path):
            return False
        # The in-app inbox is part of the product the player opened: no channel consent.
        if marketing and channel != "inbox" and not getattr(profile.consents, channel, False):
            self.suppress(rule_id, label, f"no {channel} consent", path)
            return False
        to, devices, missing = self._address(channel)
        if missing is not None:
            self.suppress(rule_id, label, missing, path)
            return False
        policy, log, tz = self.config.delivery, self.state.delivery, profile.time_zone
        previous = duplicate_of(log, channel, template_id, self.now, policy)
        if previous is not None:
            self.suppress(
                rule_id, label, f"duplicate of the one sent {previous.at.isoformat()}", path
            )
            return False
        if marketing:
            capped = cap_reason(log, channel, self.now, tz, policy)
            if capped is not None:
                if on_cap == "defer":
                    self.defer(
                        rule_id,
                        template_id,
                        channel,
                        next_cap_reset(self.now, tz, capped),
                        capped,
                        path,
                    )
                    return True
                self.suppress(rule_id, label, capped, path)
                return False
            quiet = quiet_until(channel, self.now, tz, policy)
            if quiet is not None:
                self.defer(rule_id, template_id, channel, quiet, "quiet hours", path)
                return True
        values = match_document(self.event, self.state)["player"]
        variables = {name: values.get(name) for name in sorted(TEMPLATE_VARIABLES)}
        self._outbox(
            rule_id,
            path,
            SendMessage(
                template=template_id,
                channel=channel,
                category=template.category,
                config_version=self.config.version,
                locale=profile.locale,
                to=to,
                devices=devices,
                vars=variables,
            ),
        )
        log.record(
            SentRecord(
                at=self.now, channel=channel, template=template_id, category=template.category
            )
        )
        self.trace(rule_id, label)
        return True

    def defer(
        self, rule_id: str, template_id: str, channel: str, until: datetime, why: str, path: str
    ) -> None:
        """Hold a message until `until` with a one-time timer; gates are re-checked then."""
        timer = f"defer-{stable_id(self.event.event_id, rule_id, path)[:16]}"
        self.arm_timer(
            rule_id,
            timer,
            until,
            f"{path}.defer",
            payload={"kind": "send", "template": template_id, "channel": channel},
        )
        self.trace(
            rule_id, f"send {template_id} by {channel}: deferred until {until.isoformat()} ({why})"
        )
        self.audit(
            "deferral",
            f"send {template_id} by {channel}: {why}, until {until.isoformat()}",
            rule_id,
            {"channel": channel},
            key=path,
        )

    def cascade(self, rule: CompiledRule, action: CascadeAction, path: str) -> None:
        spec = action.cascade
        self.cascade_from(rule.rule_id, spec.template, list(spec.channels), spec.wait, path)

    def cascade_from(
        self, rule_id: str, template_id: str, channels: list[str], wait: timedelta, path: str
    ) -> None:
        while channels:
            channel, channels = channels[0], channels[1:]
            why_not = self.usable(template_id, channel)
            if why_not is not None:
                self.trace(rule_id, f"cascade {template_id}: {channel} skipped ({why_not})")
                continue
            if self.deliver(rule_id, template_id, channel, f"{path}.{channel}") and channels:
                timer = f"cascade-{stable_id(self.event.event_id, rule_id, path)[:14]}"
                self.arm_timer(
                    rule_id,
                    timer,
                    self.now + wait,
                    f"{path}.{channel}.next",
                    payload={
                        "kind": "cascade",
                        "template": template_id,
                        "channels": channels,
                        "wait": int(wait.total_seconds()),
                        "sent_at": self.now.isoformat(),
                    },
                )
            return
        self.trace(rule_id, f"cascade {template_id}: no channel left")

    def fire_builtin(self, pending: PendingTimer, event: TimerFired) -> None:
        """A deferred send or the next step of a cascade."""
        payload = pending.payload or {}
        if payload.get("kind") == "send":
            self.deliver(
                pending.rule_id,
                payload["template"],
                payload["channel"],
                f"deferred.{event.timer}",
                on_cap="defer",
            )
        elif payload.get("kind") == "cascade":
            opened = getattr(self.state.profile, "messages_opened", {}).get(payload["template"])
            if opened is not None and opened >= datetime.fromisoformat(payload["sent_at"]):
                self.trace(pending.rule_id, f"cascade {payload['template']}: opened, stops here")
                return
            self.cascade_from(
                pending.rule_id,
                payload["template"],
                list(payload["channels"]),
                timedelta(seconds=payload["wait"]),
                f"cascade.{event.timer}",
            )

    def schedule(self, rule: CompiledRule, action: ScheduleAction, path: str) -> None:
        spec = action.schedule
        due = self.due_for(spec, self.event.occurred_at)
        if due is None:
            self.trace(rule.rule_id, f"timer {spec.timer}: no {spec.at_next} known, not armed")
            return
        self.arm_timer(rule.rule_id, spec.timer, due, path)

    def due_for(self, spec: Schedule, after: datetime) -> datetime | None:
        """When a timer armed at `after` is due: a duration later, or a calendar moment."""
        if spec.after is not None:
            return after + spec.after
        profile = self.state.profile
        tz = zone(profile.time_zone)
        if spec.at_next == "birthday" and profile.birth_date:
            _, month, day = (int(p) for p in profile.birth_date.split("-"))
            return next_local_occurrence(month, day, spec.local_time, tz, after)
        if spec.at_next == "registration_anniversary" and profile.registered_at:
            registered = profile.registered_at.astimezone(tz)
            # Not the registration day itself: the first anniversary is a year on.
            earliest = max(after, profile.registered_at + timedelta(days=300))
            return next_local_occurrence(
                registered.month, registered.day, spec.local_time, tz, earliest
            )
        return None

    def arm_timer(
        self,
        rule_id: str,
        timer: str,
        due: datetime,
        path: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Arm (or re-arm: same schedule name, next generation) a timer of this player."""
        previous = self.state.timers.get(timer)
        self.state.timer_seq += 1
        due_at = due.astimezone(UTC)
        fire_at = max(due_at, self.now.astimezone(UTC) + MIN_TIMER_LEAD)
        name = schedule_name(self.event.player_id, timer)
        self.state.timers[timer] = PendingTimer(
            rule_id=rule_id,
            due_at=due_at,
            generation=self.state.timer_seq,
            schedule_name=name,
            payload=payload,
        )
        self._outbox(
            rule_id,
            path,
            ScheduleTimer(
                timer=timer,
                rule_id=rule_id,
                schedule_name=name,
                due_at=due_at,
                fire_at=fire_at,
                generation=self.state.timer_seq,
            ),
        )
        verb = "re-armed" if previous else "armed"
        self.trace(rule_id, f"timer {timer} {verb} for {due_at.isoformat()}")

    def cancel(self, rule_id: str, timer: str, path: str) -> None:
        pending = self.state.timers.pop(timer, None)
        if pending is None:
            self.trace(rule_id, f"cancel timer {timer}: none pending")
            return
        self._outbox(
            rule_id,
            path,
            CancelTimer(
                timer=timer, schedule_name=pending.schedule_name, generation=pending.generation
            ),
        )
        self.trace(rule_id, f"timer {timer} cancelled")

    # --- engagement: lifecycle, RFM, offers, segments -----------------------------------

    def publish(self, key: str, detail: EventDetail) -> None:
        """A derived event for the bus; rules react to it when it comes back."""
        self._outbox(
            "engine",
            f"publish.{key}",
            PublishEvent(detail_type=detail.detail_type, detail=detail.model_dump(mode="json")),
        )

    def track_engagement(self) -> None:
        event, e = self.event, self.state.engagement
        policy = self.config.engagement
        if event.detail_type not in ACTIVITY_TYPES:
            return
        amount = getattr(event, "amount", None)
        spent = (
            amount if event.detail_type in SPENDING_TYPES and isinstance(amount, Decimal) else None
        )
        record_activity(
            e,
            event.detail_type,
            event.occurred_at,
            self.state.profile.time_zone,
            policy,
            spent,
            is_round=event.detail_type == "game.round_finished",
        )
        if policy.lifecycle:
            commands = lifecycle_on_activity(
                e, event.detail_type, event.occurred_at, policy, has_spent=spent is not None
            )
            self.run_lifecycle(commands)
        e.rfm = rfm(e, event.occurred_at, self.state.profile.time_zone, policy)

    def run_lifecycle(self, commands: Sequence[Command]) -> None:
        e = self.state.engagement
        for cmd in commands:
            if cmd.kind == "arm" and cmd.due_at is not None:
                self.arm_timer(LIFECYCLE_RULE, cmd.timer, cmd.due_at, f"lifecycle.arm.{cmd.timer}")
            elif cmd.kind == "cancel":
                if cmd.timer in self.state.timers:
                    self.cancel(LIFECYCLE_RULE, cmd.timer, f"lifecycle.cancel.{cmd.timer}")
            elif cmd.kind == "stage" and cmd.stage is not None and cmd.stage != e.stage:
                previous = e.stage
                e.stage, e.stage_since = cmd.stage, self.event.occurred_at
                self.trace(LIFECYCLE_RULE, f"stage {previous or '-'} -> {cmd.stage}")
                self.publish(
                    f"lifecycle.{cmd.stage}",
                    LifecycleChanged(
                        player_id=self.event.player_id,
                        event_id=f"lifecycle.{cmd.stage}.{self.event.event_id}"[:256],
                        occurred_at=self.event.occurred_at,
                        stage=cmd.stage,
                        previous_stage=previous,
                    ),
                )

    def fire_lifecycle(self, event: TimerFired) -> None:
        commands = lifecycle_on_timer(
            self.state.engagement, event.timer, event.occurred_at, self.config.engagement
        )
        if commands and commands[0].kind == "arm" and commands[0].timer == event.timer:
            self.trace(LIFECYCLE_RULE, f"timer {event.timer}: player active since, sliding on")
        self.run_lifecycle(commands)
        e = self.state.engagement
        e.rfm = rfm(e, event.occurred_at, self.state.profile.time_zone, self.config.engagement)

    def update_segments(self) -> None:
        if not self.config.segments and not self.state.segments:
            return
        doc = match_document(self.event, self.state)
        membership, transitions = evaluate(
            self.config.segments, doc, self.state.segments, self.event.occurred_at
        )
        self.state.segments = membership
        for change in transitions:
            verb = "entered" if change.entered else "exited"
            model = SegmentEntered if change.entered else SegmentExited
            self.trace(None, f"segment {change.segment_id} {verb}")
            self.publish(
                f"segment.{change.segment_id}.{verb}",
                model(
                    player_id=self.event.player_id,
                    event_id=f"segment.{change.segment_id}.{verb}.{self.event.event_id}"[:256],
                    occurred_at=self.event.occurred_at,
                    segment_id=change.segment_id,
                ),
            )

    def open_offer(self, rule: CompiledRule, action: OpenOfferAction, path: str) -> None:
        spec = action.open_offer
        start = self.event.occurred_at
        self.state.engagement.offers[spec.offer] = Offer(
            multiplier=spec.multiplier, opened_at=start, until=start + spec.for_
        )
        until = (start + spec.for_).isoformat()
        self.trace(rule.rule_id, f"offer {spec.offer}: points x{spec.multiplier} until {until}")
