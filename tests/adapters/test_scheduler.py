"""TimerScheduler against moto EventBridge Scheduler: one schedule per (player, timer),
never regressed by a stale arm or cancel."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from events.models import INTERNAL_SOURCE, TimerFired
from shared.adapters.scheduler import TimerScheduler, timer_detail, timer_event_id
from shared.domain.core.state import SCHEDULE_NAME_MAX, schedule_name
from shared.errors import ThrottledError
from tests.adapters.builders import KYIV, NOW, PLAYER, schedule_effect
from tests.adapters.conftest import BUS_ARN, SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, TIMER_DLQ_ARN

TIMER_NAMES = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,47}", fullmatch=True)
SCHEDULE_NAME_CHARS = re.compile(r"^[0-9a-zA-Z_.-]+$")


def current(scheduler_client: Any, name: str) -> dict[str, Any]:
    schedule = dict(scheduler_client.get_schedule(Name=name, GroupName=SCHEDULE_GROUP))
    schedule.pop("ResponseMetadata", None)
    return schedule


def names_in_group(scheduler_client: Any) -> list[str]:
    resp = scheduler_client.list_schedules(GroupName=SCHEDULE_GROUP)
    return [s["Name"] for s in resp["Schedules"]]


def stubbed_timers(stubbed: Any) -> tuple[TimerScheduler, Any]:
    client, stubber = stubbed("scheduler")
    return TimerScheduler(
        client, SCHEDULE_GROUP, BUS_ARN, SCHEDULER_ROLE_ARN, TIMER_DLQ_ARN
    ), stubber


def get_schedule_response(effect: Any) -> dict[str, Any]:
    """A GetSchedule answer for a schedule armed with `effect` (valid per the API model)."""
    return {
        "Name": effect.schedule_name,
        "GroupName": SCHEDULE_GROUP,
        "ScheduleExpression": "at(2025-03-04T12:00:00)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": BUS_ARN,
            "RoleArn": SCHEDULER_ROLE_ARN,
            "Input": json.dumps(timer_detail(PLAYER, effect)),
        },
    }


# --- upsert -----------------------------------------------------------------------------


def test_given_no_schedule_when_upserting_then_a_one_time_utc_schedule_is_created(
    timers, scheduler_client
):
    effect = schedule_effect(1, fire_at=NOW + timedelta(days=3))

    outcome = timers.upsert(PLAYER, effect)

    schedule = current(scheduler_client, effect.schedule_name)
    assert outcome == "created"
    assert schedule["GroupName"] == SCHEDULE_GROUP
    assert schedule["ScheduleExpression"] == "at(2025-03-04T12:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["State"] == "ENABLED"


def test_given_a_new_timer_when_upserting_then_an_undeliverable_fire_goes_to_the_timer_dlq(
    timers, scheduler_client
):
    effect = schedule_effect(1)

    timers.upsert(PLAYER, effect)

    target = current(scheduler_client, effect.schedule_name)["Target"]
    assert target["DeadLetterConfig"] == {"Arn": TIMER_DLQ_ARN}


def test_given_a_fire_time_with_offset_and_microseconds_when_upserting_then_at_is_utc_seconds(
    timers, scheduler_client
):
    effect = schedule_effect(1, fire_at=datetime(2025, 3, 4, 14, 0, 30, 987654, tzinfo=KYIV))

    timers.upsert(PLAYER, effect)

    expression = current(scheduler_client, effect.schedule_name)["ScheduleExpression"]
    assert expression == "at(2025-03-04T12:00:30)"


def test_given_no_schedule_when_upserting_then_the_target_is_the_bus_with_the_timer_event_type(
    timers, scheduler_client
):
    effect = schedule_effect(1)

    timers.upsert(PLAYER, effect)

    target = current(scheduler_client, effect.schedule_name)["Target"]
    assert target["Arn"] == BUS_ARN
    assert target["RoleArn"] == SCHEDULER_ROLE_ARN
    assert target["EventBridgeParameters"] == {
        "Source": INTERNAL_SOURCE,
        "DetailType": TimerFired.detail_type,
    }
    assert INTERNAL_SOURCE == "engage.scheduler"
    assert TimerFired.detail_type == "engage.timer.fired"


def test_given_no_schedule_when_upserting_then_the_input_is_a_valid_timer_fired_detail(
    timers, scheduler_client
):
    due = NOW + timedelta(days=3)
    effect = schedule_effect(4, fire_at=due + timedelta(seconds=1), due_at=due)

    timers.upsert(PLAYER, effect)

    detail = TimerFired.model_validate_json(
        current(scheduler_client, effect.schedule_name)["Target"]["Input"]
    )
    assert detail == TimerFired(
        player_id=PLAYER,
        event_id=timer_event_id(effect.schedule_name, 4),
        occurred_at=due,
        timer=effect.timer,
        rule_id=effect.rule_id,
        generation=4,
    )


def test_given_an_older_schedule_when_upserting_a_newer_generation_then_the_same_name_is_updated(
    timers, scheduler_client
):
    timers.upsert(PLAYER, schedule_effect(1, fire_at=NOW + timedelta(days=3)))
    newer = schedule_effect(2, fire_at=NOW + timedelta(days=5))

    outcome = timers.upsert(PLAYER, newer)

    schedule = current(scheduler_client, newer.schedule_name)
    assert outcome == "updated"
    assert names_in_group(scheduler_client) == [newer.schedule_name]
    assert schedule["ScheduleExpression"] == "at(2025-03-06T12:00:00)"
    assert TimerFired.model_validate_json(schedule["Target"]["Input"]).generation == 2


def test_given_an_existing_schedule_when_updating_then_the_whole_definition_is_resent(stubbed):
    # UpdateSchedule replaces every field: anything left out (ActionAfterCompletion,
    # the target's parameters) would silently fall back to its default.
    timers, stubber = stubbed_timers(stubbed)
    older, newer = schedule_effect(1), schedule_effect(2, fire_at=NOW + timedelta(days=5))
    stubber.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    stubber.add_response("get_schedule", get_schedule_response(older))
    stubber.add_response(
        "update_schedule",
        {"ScheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/g/n"},
        {
            "Name": newer.schedule_name,
            "GroupName": SCHEDULE_GROUP,
            "ScheduleExpression": "at(2025-03-06T12:00:00)",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": {
                "Arn": BUS_ARN,
                "RoleArn": SCHEDULER_ROLE_ARN,
                "Input": json.dumps(timer_detail(PLAYER, newer), sort_keys=True),
                "EventBridgeParameters": {
                    "DetailType": "engage.timer.fired",
                    "Source": "engage.scheduler",
                },
                "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
                "DeadLetterConfig": {"Arn": TIMER_DLQ_ARN},
            },
        },
    )

    assert timers.upsert(PLAYER, newer) == "updated"
    stubber.assert_no_pending_responses()


def test_given_a_newer_schedule_when_upserting_a_stale_generation_then_the_newer_is_kept(
    timers, scheduler_client
):
    newer = schedule_effect(3, fire_at=NOW + timedelta(days=5))
    timers.upsert(PLAYER, newer)
    before = current(scheduler_client, newer.schedule_name)

    outcome = timers.upsert(PLAYER, schedule_effect(2, fire_at=NOW + timedelta(days=1)))

    assert outcome == "kept newer"
    assert current(scheduler_client, newer.schedule_name) == before


def test_given_a_schedule_when_upserting_the_same_generation_again_then_it_is_unchanged(
    timers, scheduler_client
):
    effect = schedule_effect(2)
    timers.upsert(PLAYER, effect)
    before = current(scheduler_client, effect.schedule_name)

    outcome = timers.upsert(PLAYER, effect)

    assert outcome == "kept newer"
    assert current(scheduler_client, effect.schedule_name) == before


def test_given_a_foreign_schedule_without_a_generation_when_upserting_then_it_is_replaced(
    timers, scheduler_client
):
    effect = schedule_effect(1)
    scheduler_client.create_schedule(
        Name=effect.schedule_name,
        GroupName=SCHEDULE_GROUP,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": BUS_ARN, "RoleArn": SCHEDULER_ROLE_ARN},
    )

    outcome = timers.upsert(PLAYER, effect)

    assert outcome == "updated"
    assert timers.generation_of(effect.schedule_name) == 1


# --- delete -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("armed", "cancelled"), [(2, 2), (2, 3)], ids=["same-generation", "newer-cancel"]
)
def test_given_a_schedule_when_deleting_its_generation_or_a_newer_one_then_it_is_deleted(
    timers, scheduler_client, armed, cancelled
):
    effect = schedule_effect(armed)
    timers.upsert(PLAYER, effect)

    outcome = timers.delete(effect.schedule_name, cancelled)

    assert outcome == "deleted"
    assert names_in_group(scheduler_client) == []
    assert timers.generation_of(effect.schedule_name) is None


def test_given_a_newer_schedule_when_deleting_an_older_generation_then_it_is_kept(
    timers, scheduler_client
):
    newer = schedule_effect(3)
    timers.upsert(PLAYER, newer)
    before = current(scheduler_client, newer.schedule_name)

    outcome = timers.delete(newer.schedule_name, 2)

    assert outcome == "kept newer"
    assert current(scheduler_client, newer.schedule_name) == before


def test_given_no_schedule_when_deleting_then_it_is_reported_absent(timers):
    assert timers.delete(schedule_name(PLAYER, "no-deposit-3d"), 1) == "absent"


def test_given_a_schedule_that_fires_meanwhile_when_deleting_then_it_is_reported_absent(
    stubbed,
):
    # It existed when read, but ActionAfterCompletion=DELETE removed it before our delete.
    timers, stubber = stubbed_timers(stubbed)
    effect = schedule_effect(1)
    stubber.add_response("get_schedule", get_schedule_response(effect))
    stubber.add_client_error("delete_schedule", "ResourceNotFoundException", http_status_code=404)

    assert timers.delete(effect.schedule_name, 1) == "absent"
    stubber.assert_no_pending_responses()


# --- error translation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "InternalServerException", "ServiceQuotaExceededException"]
)
def test_given_scheduler_asks_to_slow_down_when_upserting_then_throttled_error(stubbed, code):
    timers, stubber = stubbed_timers(stubbed)
    stubber.add_client_error("create_schedule", code, http_status_code=429)

    with pytest.raises(ThrottledError):
        timers.upsert(PLAYER, schedule_effect(1))


def test_given_scheduler_throttles_the_read_when_deleting_then_throttled_error(stubbed):
    timers, stubber = stubbed_timers(stubbed)
    stubber.add_client_error("get_schedule", "ThrottlingException", http_status_code=429)

    with pytest.raises(ThrottledError):
        timers.delete(schedule_name(PLAYER, "no-deposit-3d"), 1)


def test_given_scheduler_throttles_the_update_when_upserting_then_throttled_error(stubbed):
    timers, stubber = stubbed_timers(stubbed)
    older = schedule_effect(1)
    stubber.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    stubber.add_response("get_schedule", get_schedule_response(older))
    stubber.add_client_error("update_schedule", "ThrottlingException", http_status_code=429)

    with pytest.raises(ThrottledError):
        timers.upsert(PLAYER, schedule_effect(2))


def test_given_a_missing_group_when_upserting_then_the_aws_error_is_not_disguised(stubbed):
    # moto raises a bare KeyError for a missing group on create, so this one is stubbed.
    timers, stubber = stubbed_timers(stubbed)
    stubber.add_client_error("create_schedule", "ResourceNotFoundException", http_status_code=404)

    with pytest.raises(ClientError) as raised:
        timers.upsert(PLAYER, schedule_effect(1))

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    stubber.assert_no_pending_responses()


# --- schedule names ---------------------------------------------------------------------


@given(player_id=st.text(min_size=1, max_size=300), timer=TIMER_NAMES)
def test_given_any_player_and_timer_when_naming_the_schedule_then_it_is_a_valid_scheduler_name(
    player_id, timer
):
    name = schedule_name(player_id, timer)

    assert 1 <= len(name) <= SCHEDULE_NAME_MAX == 64
    assert SCHEDULE_NAME_CHARS.match(name)


@given(player_id=st.text(min_size=1, max_size=300), timer=TIMER_NAMES)
def test_given_the_same_player_and_timer_when_naming_twice_then_the_name_is_the_same(
    player_id, timer
):
    assert schedule_name(player_id, timer) == schedule_name(player_id, timer)


@given(
    players=st.lists(st.text(min_size=1, max_size=200), min_size=2, max_size=2, unique=True),
    timer=TIMER_NAMES,
)
def test_given_two_players_with_the_same_timer_when_naming_then_the_names_differ(players, timer):
    first, second = players

    assert schedule_name(first, timer) != schedule_name(second, timer)


@given(
    player_id=st.text(min_size=1, max_size=200),
    timers=st.lists(TIMER_NAMES, min_size=2, max_size=2, unique=True),
)
def test_given_one_player_with_two_timers_when_naming_then_the_names_differ(player_id, timers):
    first, second = timers

    assert schedule_name(player_id, first) != schedule_name(player_id, second)
