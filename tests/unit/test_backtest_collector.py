"""The cycle collector is paused for a replay and left as it was after (collector.py)."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest

from shared.backtest import collector
from shared.backtest.history import History
from shared.backtest.replay import run
from tests.builders import NUDGE_RULES, T0, config, registered


class _Watch:
    def __init__(self) -> None:
        self.collector_on: list[bool] = []

    def step(self, *args: object) -> None:
        self.collector_on.append(gc.isenabled())


def test_a_replay_runs_with_the_collector_paused_and_turns_it_back_on():
    assert gc.isenabled()
    watch = _Watch()

    run(
        History.of([registered(T0)]).players,
        config(*NUDGE_RULES),
        T0 + timedelta(days=5),
        observer=watch,
    )

    assert watch.collector_on
    assert not any(watch.collector_on)
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_off_until_the_outer_one_ends():
    with collector.paused():
        with collector.paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_on_when_the_replay_fails():
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_left_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_frozen_for_a_fork_are_given_back_to_the_collector_after():
    before = gc.get_freeze_count()
    with collector.frozen_for_fork():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == before
