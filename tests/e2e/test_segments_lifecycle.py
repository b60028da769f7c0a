"""Segments and lifecycle through the real handlers: transitions emitted exactly once,
one schedule per player and timer whatever the event order, lifecycle by sliding timers."""

from datetime import timedelta

from tests.e2e.test_invariants import registered

T = "2026-11-24T09:00:00+00:00"
HIGH_ROLLER = {
    "segment_id": "high-roller",
    "match": {"player": {"avg_stake": [{"numeric": [">=", 20]}]}},
}


def round_event(player, event_id, stake, at):
    return {
        "source": "casino.example",
        "detail-type": "game.round_finished",
        "detail": {
            "player_id": player,
            "event_id": event_id,
            "occurred_at": at,
            "round_id": event_id,
            "game_id": "g",
            "category": "slots",
            "stake": stake,
            "payout": 0,
            "currency": "EUR",
        },
    }


def published(stack, player, detail_type):
    items = sorted(
        stack.runtime.players.outbox(player),
        key=lambda o: (
            o[0].created_at,
            o[0].effect.detail.get("occurred_at", "") if o[0].effect.kind == "publish" else "",
        ),
    )
    return [
        i.effect.detail
        for i, status, _ in items
        if i.effect.kind == "publish" and i.effect.detail_type == detail_type and status == "done"
    ]


def test_segment_transitions_are_emitted_exactly_once_even_when_events_are_replayed(stack):
    rt = stack.runtime
    rt.config.put_segment(HIGH_ROLLER, actor="t", now=stack.clock.now())
    # A rule reacting to the derived event proves it comes back through the bus once.
    rt.config.put_rule(
        {
            "rule_id": "hr-points",
            "on": ["engage.segment.entered"],
            "match": {"event": {"segment_id": ["high-roller"]}},
            "then": [{"award_points": {"points": 100}}],
        },
        actor="t",
        now=stack.clock.now(),
    )
    rt.config.publish()
    events = [
        round_event("p-s1", "r1", 50, T),
        round_event("p-s1", "r2", 40, "2026-11-24T09:05:00+00:00"),
        round_event("p-s1", "r3", 1, "2026-11-24T09:10:00+00:00"),
        round_event("p-s1", "r4", 1, "2026-11-24T09:15:00+00:00"),
        round_event("p-s1", "r5", 1, "2026-11-24T09:20:00+00:00"),
    ]
    rt.put_events(events)
    rt.pump()
    rt.put_events(events)  # the whole sequence again: at-least-once delivery
    rt.pump()
    assert len(published(stack, "p-s1", "engage.segment.entered")) == 1
    assert len(published(stack, "p-s1", "engage.segment.exited")) == 1
    assert rt.players.state("p-s1").segments == {}
    assert rt.players.state("p-s1").points_balance == 100  # the rule fired once
    assert rt.dead_letters() == []


def test_there_is_never_more_than_one_schedule_per_player_and_timer_whatever_the_order(started):
    rt = started.runtime
    later = registered("p-s2", event_id="reg-b")
    later["detail"]["occurred_at"] = "2026-11-24T12:00:00+00:00"
    rt.put_events([later])
    rt.pump()
    rt.put_events([registered("p-s2", event_id="reg-a")])  # an older one arrives late
    rt.pump()
    names = [name for _, name, _ in rt.pending_schedules() if name.startswith("no-deposit-3d.")]
    assert len(names) == 1
    state = rt.players.state("p-s2")
    assert len([t for t in state.timers if t == "no-deposit-3d"]) == 1
    # The schedule that exists is the state's current generation, so it is the one that counts.
    (schedule,) = [s for _, name, s in rt.pending_schedules() if name == names[0]]
    assert (
        f'"generation": {state.timers["no-deposit-3d"].generation}' in schedule["Target"]["Input"]
    )


def test_ten_quiet_days_make_a_player_at_risk_through_the_scheduler(started):
    rt = started.runtime
    rt.put_events([registered("p-s3")])
    rt.pump()
    rt.advance(timedelta(days=5))
    rt.put_events([round_event("p-s3", "r1", 1, (started.clock.now()).isoformat())])
    rt.pump()
    rt.advance(timedelta(days=5, hours=1))  # day 10: the timer fires early and slides
    assert rt.players.state("p-s3").engagement.stage == "new"
    rt.advance(timedelta(days=5))  # day 15: ten quiet days since the round
    assert rt.players.state("p-s3").engagement.stage == "at_risk"
    stages = [d["stage"] for d in published(started, "p-s3", "engage.lifecycle.changed")]
    assert stages == ["new", "at_risk"]
    rt.advance(timedelta(days=21))
    assert rt.players.state("p-s3").engagement.stage == "lapsed"
