"""Engagement in a decision: lifecycle, RFM, segments, offers, derived events."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from events.models import (
    EventDetail,
    LifecycleChanged,
    SegmentEntered,
    SegmentExited,
    TimerFired,
)
from shared.domain.authoring.rules import (
    CompiledRule,
    OpenOfferAction,
)
from shared.domain.authoring.segments import evaluate
from shared.domain.core.state import (
    PublishEvent,
)
from shared.domain.players.engagement import (
    ACTIVITY_TYPES,
    LIFECYCLE_RULE,
    SPENDING_TYPES,
    Command,
    Offer,
    lifecycle_on_activity,
    lifecycle_on_timer,
    record_activity,
    rfm,
)
from shared.domain.run.decision import match_document
from shared.domain.run.run_base import RunBase


class EngagementMixin(RunBase):
    """Engagement in a decision: lifecycle, RFM, segments, offers, derived events."""

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
        spent = None
        if event.detail_type in SPENDING_TYPES:  # rounds, most events, have no amount
            amount = event.value_of("amount")
            spent = amount if isinstance(amount, Decimal) else None
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
        scored = rfm(e, event.occurred_at, self.state.profile.time_zone, policy)
        if scored is not e.rfm:  # the same facts give the same (frozen) object back
            e.rfm = scored

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
        doc = match_document(self.event, self.state, self.config.segment_fields)
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
        if self.withheld(rule.rule_id, f"open_offer:{spec.offer}", path, reward=True):
            return
        # "Come back within 2 hours" counts from when the message announcing it reaches the
        # player (a send before it in the same action list), not from when the rule fired:
        # a push held by quiet hours until 08:00 opens a window from 08:00.
        start = min(self.deliveries) if self.deliveries else self.event.occurred_at
        self.state.engagement.offers[spec.offer] = Offer(
            multiplier=spec.multiplier, opened_at=start, until=start + spec.for_
        )
        until = (start + spec.for_).isoformat()
        opens = "" if start == self.event.occurred_at else f" from {start.isoformat()}"
        self.trace(
            rule.rule_id, f"offer {spec.offer}: points x{spec.multiplier}{opens} until {until}"
        )
