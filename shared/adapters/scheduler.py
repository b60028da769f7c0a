"""EventBridge Scheduler one-time schedules that put `engage.timer.fired` on the bus.

One schedule name per (player, timer), so re-arming replaces and never duplicates.
Each schedule's payload carries the timer's generation; an out-of-order stale effect
(an older arm or a cancel) never overwrites or deletes a newer schedule.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from events.models import INTERNAL_SOURCE, TimerFired
from shared.domain.core.state import ScheduleTimer
from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

_THROTTLE = {"ThrottlingException", "InternalServerException", "ServiceQuotaExceededException"}


def timer_event_id(schedule_name: str, generation: int) -> str:
    return f"timer.{schedule_name}.{generation}"


def timer_detail(player_id: str, effect: ScheduleTimer) -> dict[str, Any]:
    """The `engage.timer.fired` detail the schedule will deliver."""
    detail = TimerFired(
        player_id=player_id,
        event_id=timer_event_id(effect.schedule_name, effect.generation),
        occurred_at=effect.due_at,
        timer=effect.timer,
        rule_id=effect.rule_id,
        generation=effect.generation,
    )
    return detail.model_dump(mode="json")


class TimerScheduler:
    def __init__(
        self,
        client: EventBridgeSchedulerClient,
        group: str,
        bus_arn: str,
        role_arn: str,
        dead_letter_arn: str,
    ) -> None:
        self._client = client
        self._group = group
        self._bus_arn = bus_arn
        self._role_arn = role_arn
        self._dead_letter_arn = dead_letter_arn

    def upsert(self, player_id: str, effect: ScheduleTimer) -> str:
        """Create the schedule, or move an existing older one; never regress a newer one."""
        fire_at = effect.fire_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        request: dict[str, Any] = {
            "Name": effect.schedule_name,
            "GroupName": self._group,
            "ScheduleExpression": f"at({fire_at.isoformat()})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": {
                "Arn": self._bus_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(timer_detail(player_id, effect), sort_keys=True),
                "EventBridgeParameters": {
                    "DetailType": TimerFired.detail_type,
                    "Source": INTERNAL_SOURCE,
                },
                "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
                # After a day of retries the timer is parked with its error, not dropped.
                "DeadLetterConfig": {"Arn": self._dead_letter_arn},
            },
        }
        try:
            self._client.create_schedule(**request)
            return "created"
        except ClientError as exc:
            if self._code(exc) != "ConflictException":
                raise self._translate(exc) from exc
        existing = self.generation_of(effect.schedule_name)
        if existing is not None and existing >= effect.generation:
            return "kept newer"
        try:
            self._client.update_schedule(**request)
        except ClientError as exc:
            raise self._translate(exc) from exc
        return "updated"

    def delete(self, schedule_name: str, generation: int) -> str:
        """Delete the schedule if it is this generation or older; absent is fine."""
        existing = self.generation_of(schedule_name)
        if existing is None:
            return "absent"
        if existing > generation:
            return "kept newer"
        try:
            self._client.delete_schedule(Name=schedule_name, GroupName=self._group)
        except ClientError as exc:
            if self._code(exc) == "ResourceNotFoundException":
                return "absent"
            raise self._translate(exc) from exc
        return "deleted"

    def generation_of(self, schedule_name: str) -> int | None:
        try:
            resp = self._client.get_schedule(Name=schedule_name, GroupName=self._group)
        except ClientError as exc:
            if self._code(exc) == "ResourceNotFoundException":
                return None
            raise self._translate(exc) from exc
        payload = json.loads(resp.get("Target", {}).get("Input") or "{}")
        generation = payload.get("generation")
        return int(generation) if isinstance(generation, int) else 0

    @staticmethod
    def _code(exc: ClientError) -> str:
        return str(exc.response.get("Error", {}).get("Code", ""))

    def _translate(self, exc: ClientError) -> Exception:
        if self._code(exc) in _THROTTLE:
            return ThrottledError(self._code(exc))
        return exc
