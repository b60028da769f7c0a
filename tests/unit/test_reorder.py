"""The reorder window's pieces: the hold, the wake-up, the sequence, the engine's hook."""

from __future__ import annotations

from datetime import timedelta

from shared.adapters.scheduler import timer_event_id as scheduler_event_id
from shared.domain.core.hold import Hold
from shared.domain.core.reorder import (
    WAKE_TIMER,
    ReorderSequence,
    from_held,
    next_hold,
    timer_event_id,
    to_held,
    wake_due,
)
from shared.domain.core.state import PendingTimer, PlayerState
from tests.builders import NUDGE_RULES, T0, config, deposit, registered, round_
from tests.reorder_harness import Pipeline

W = timedelta(minutes=4)


def test_a_held_event_comes_back_exactly_as_it_was_validated():
    # Given: a round (it has derived fields) and a deposit with a decimal amount
    for event in (round_(T0, "2.50", "7.25"), deposit(T0, "19.99")):
        # When / Then
        assert from_held(to_held(event)) == event


def test_the_hold_is_stored_compressed_and_read_back():
    # Given: thirty held rounds
    held = [to_held(round_(T0 + timedelta(seconds=i), "1")) for i in range(30)]
    hold = Hold(events=held, wake_at=T0 + W, wake_generation=3)
    # When: it goes through the state item's JSON
    stored = hold.model_dump_json()
    # Then: it is a fraction of the events' JSON and reads back equal
    assert len(stored) < sum(len(h.detail) for h in held) / 3
    assert Hold.model_validate_json(stored) == hold


def test_synthesized_fires_carry_the_id_the_schedule_delivers():
    assert timer_event_id("nudge.abc", 7) == scheduler_event_id("nudge.abc", 7)


def test_the_wake_up_is_when_the_earliest_held_event_ripens_on_a_30_second_grid():
    held = [to_held(deposit(T0 + timedelta(seconds=s))) for s in (41, 12)]
    assert wake_due(held, W) == T0 + W + timedelta(seconds=30)


def test_a_pending_wake_up_early_enough_is_kept_and_a_late_one_moved():
    now = T0 + timedelta(seconds=5)
    held = [to_held(deposit(T0 + timedelta(seconds=20)))]
    # A wake-up already pending before the earliest ripening: no new schedule
    kept, effect = next_hold(Hold(wake_at=T0 + W, wake_generation=2), held, W, now)
    assert effect is None
    assert kept.wake_at == T0 + W
    # None pending: one is armed, with the next generation
    armed, effect = next_hold(Hold(wake_generation=2), held, W, now)
    assert effect is not None
    assert effect.timer == WAKE_TIMER
    assert effect.generation == 3
    assert armed.wake_at == effect.due_at
    # Nothing left held: no wake-up needed
    empty, effect = next_hold(armed, [], W, now)
    assert effect is None
    assert empty.events == []
    assert empty.wake_at is None


def test_the_sequence_fires_a_due_timer_between_the_events_around_it():
    # Given: a pending timer due between two ripe events
    state = PlayerState.new("p-1")
    state.timers["nudge"] = PendingTimer(
        rule_id="nudge", due_at=T0 + timedelta(minutes=2), generation=4, schedule_name="nudge.x"
    )
    first, second = deposit(T0 + timedelta(minutes=1)), deposit(T0 + timedelta(minutes=3))
    sequence = ReorderSequence(
        [(second, "held"), (first, "held")], T0 + timedelta(hours=1), W, late_now=None
    )
    # When
    order = []
    while (step := sequence.next(state)) is not None:
        order.append(step.event.event_id)
        if step.origin == "timer":
            del state.timers["nudge"]
            assert step.now == T0 + timedelta(minutes=2) + W
    # Then
    assert order == [first.event_id, timer_event_id("nudge.x", 4), second.event_id]


def test_an_event_younger_than_the_window_is_held_not_decided():
    # Given: the engine with W and a registration arriving at once
    pipeline = Pipeline(config(*NUDGE_RULES), W, T0)
    pipeline.deliver([(T0, registered(T0))])
    # When: less than W has passed
    run = pipeline.run(T0 + W - timedelta(seconds=1))
    # Then: the state holds it, nothing was decided, a wake-up is armed
    state = run.store.state("p-1")
    assert state is not None
    assert [h.detail_type for h in state.hold.events] == ["player.registered"]
    assert state.profile.registered_at is None
    assert run.store.outbox_items["p-1"]
    assert run.wakes_armed == 1
    assert not run.store.markers["p-1"]
    # When: the wake-up fires once it is ripe
    run = pipeline.run(T0 + W + timedelta(minutes=1))
    # Then: it was decided (nudge armed), marked applied, and the hold is empty
    state = run.store.state("p-1")
    assert state is not None
    assert state.profile.registered_at == T0
    assert "no-deposit" in state.timers
    assert state.hold.events == []
    assert run.wakes == 1


def test_a_held_event_delivered_again_is_a_duplicate():
    # Given: an event held, then redelivered while held and again after it was decided
    event = registered(T0)
    pipeline = Pipeline(config(*NUDGE_RULES), W, T0)
    pipeline.deliver([(T0, event), (T0 + timedelta(minutes=1), event)])
    pipeline.deliver([(T0 + W * 2, event)])
    # When
    run = pipeline.run(T0 + timedelta(hours=1))
    # Then: applied once (one nudge armed), nothing refused
    state = run.store.state("p-1")
    assert state is not None
    assert state.timer_seq == 1
    assert run.recorder.dead == []


def test_with_a_zero_window_events_are_decided_at_once_as_before():
    pipeline = Pipeline(config(*NUDGE_RULES), timedelta(0), T0)
    pipeline.deliver([(T0, registered(T0))])
    run = pipeline.run(T0)
    state = run.store.state("p-1")
    assert state is not None
    assert state.profile.registered_at == T0
    assert state.hold == Hold()
    assert run.wakes_armed == 0


def test_a_wake_up_fire_is_never_decided_or_marked():
    # Given: a player whose held registration was released by its wake-up
    event = registered(T0)
    pipeline = Pipeline(config(*NUDGE_RULES), W, T0)
    pipeline.deliver([(T0, event)])
    # When
    run = pipeline.run(T0 + timedelta(hours=1))
    # Then: the wake-up fired, and only the registration is marked applied
    assert run.wakes == 1
    assert run.store.markers["p-1"] == {event.event_id}


def test_many_held_events_released_at_once_are_committed_in_chunks_and_none_is_lost():
    # Given: 130 rounds held (more than one transaction holds), and a store whose second
    # commit of the release loses a race once
    pipeline = Pipeline(config(*NUDGE_RULES), W, T0)
    rounds = [round_(T0 + timedelta(milliseconds=i), "1") for i in range(130)]
    pipeline.deliver_batch(T0 + timedelta(seconds=130), rounds)
    store = pipeline.store
    real_commit = store.commit
    calls = {"n": 0}

    def flaky(commit, now, dedupe_for):
        calls["n"] += 1
        # 1: hold all; 2: the first wake-up releases the first round (the others ripen
        # on the next 30 s tick); 3: first chunk of the rest; 4: second chunk, lost race
        if calls["n"] == 4:
            from shared.errors import ConflictError

            raise ConflictError("another writer won")
        real_commit(commit, now, dedupe_for)

    store.commit = flaky
    # When: the wake-up releases them
    run = pipeline.run(T0 + timedelta(hours=1))
    # Then: every round was decided exactly once, in order, and nothing is left held
    state = run.store.state("p-1")
    assert state is not None
    assert state.profile.rounds_played == 130
    assert state.hold.events == []
    assert run.store.markers["p-1"] == {r.event_id for r in rounds}
    # ... the second chunk was decided again after the reload, from the first chunk's hold
    assert calls["n"] == 5
    assert run.wakes == 2
