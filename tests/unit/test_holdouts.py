"""Holdouts in the decision: control-group and rule-holdout players never receive the
held-out message or reward, on any channel, now or from timers, deferrals and cascades;
each effect they would have received is recorded as a `held_out` audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Consents
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PlayerState, SendMessage
from shared.domain.measurement.experiments import ExperimentSettings
from shared.domain.run.decide import Decision, decide, decide_all
from tests.builders import T0, at, config, deposit, eid, fired, registered, template

CHANNELS = ("email", "sms", "push", "inbox")


def templates() -> list[dict[str, Any]]:
    out = []
    for channel in CHANNELS:
        for tid, category in (
            ("promo", "marketing"),
            ("promo-b", "marketing"),
            ("receipt", "service"),
        ):
            t = {**template(tid, category=category), "channel": channel}
            if channel == "sms":
                t.pop("subject")
            out.append(t)
    return out


def cfg(*rules: dict[str, Any], control: str | None = None) -> ConfigSnapshot:
    game: dict[str, list[dict[str, Any]]] = {
        "badge": [{"badge_id": "vip", "name": "VIP"}],
        "wheel": [
            {"wheel_id": "daily", "prizes": [{"prize_id": "miss", "label": "Miss", "weight": 1}]}
        ],
    }
    if control is not None:
        game["experiments"] = [{"policy_id": "experiments", "control_group_percent": control}]
    return config(*rules, templates=templates(), game=game)


def everyone(*rules: dict[str, Any]) -> ConfigSnapshot:
    """Every player is in the control group (100 % is refused; 50 % plus a chosen player
    would be fragile), so the tests pick players by their bucket instead."""
    return cfg(*rules, control="50")


def member(percent: str = "50", inside: bool = True) -> str:
    settings_ = ExperimentSettings(control_group_percent=Decimal(percent))
    return next(f"p-{i}" for i in range(1000) if settings_.in_control_group(f"p-{i}") == inside)


def start(player: str) -> PlayerState:
    """A player reachable on every channel, with every marketing consent."""
    state = PlayerState.new(player)
    reg = registered(T0 - timedelta(days=1), player=player, phone="+380501234567")
    reg = reg.model_copy(update={"consents": Consents(email=True, sms=True, push=True)})
    return decide(state, reg, cfg(), T0).state


def fire_all(decision: Decision, config_: ConfigSnapshot, rule_id: str) -> Decision:
    """Fire every timer the rule armed (and the ones those arm), each when it is due."""
    total = decision
    for _ in range(6):
        pending = [(n, p) for n, p in total.state.timers.items() if p.rule_id == rule_id]
        if not pending:
            break
        for name, timer in pending:
            when = max(timer.due_at, T0)
            event = fired(
                when, name, rule_id, timer.generation, player=total.state.profile.player_id
            )
            total.extend(decide(total.state, event, config_, when + timedelta(seconds=1)))
    return total


def sends(decision: Decision, rule_id: str) -> list[SendMessage]:
    return [
        o.effect
        for o in decision.outbox
        if o.rule_id == rule_id and isinstance(o.effect, SendMessage)
    ]


def held(decision: Decision) -> list[tuple[str, str, str]]:
    return [
        (a.reason, a.inputs["would"], a.inputs["variant"])
        for a in decision.audit
        if a.category == "held_out"
    ]


PROMO = {
    "rule_id": "promo",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"send": {"template": "promo"}}, {"award_points": {"points": 50}}],
}


def test_a_control_group_player_gets_no_marketing_send_and_no_bonus_and_both_are_recorded():
    player = member()
    d = decide_all(start(player), [deposit(at(hours=1), player=player)], everyone(PROMO), T0)

    assert sends(d, "promo") == []
    assert d.ledger == []
    assert held(d) == [
        ("control_group", "send:promo:email", "holdout"),
        ("control_group", "award_points:50", "holdout"),
    ]


def test_a_player_outside_the_control_group_gets_the_campaign():
    player = member(inside=False)
    d = decide_all(start(player), [deposit(at(hours=1), player=player)], everyone(PROMO), T0)

    assert [s.template for s in sends(d, "promo")] == ["promo"]
    assert d.state.points_balance == 50
    assert held(d) == []


def test_a_service_message_is_never_held_out():
    player = member()
    receipt = {**PROMO, "then": [{"send": {"template": "receipt"}}]}
    d = decide_all(start(player), [deposit(at(hours=1), player=player)], everyone(receipt), T0)

    assert [s.category for s in sends(d, "promo")] == ["service"]


def test_a_base_earn_rule_marked_not_marketing_still_pays_the_control_group():
    player = member()
    base = {**PROMO, "marketing": False}
    d = decide_all(start(player), [deposit(at(hours=1), player=player)], everyone(base), T0)

    assert d.state.points_balance == 50  # the points are the programme's promise
    assert sends(d, "promo") == []  # the promo email is still marketing
    assert held(d) == [("control_group", "send:promo:email", "holdout")]


def test_a_rule_holdout_player_gets_nothing_from_a_timer_fired_days_later():
    rule = {
        "rule_id": "promo",
        "on": ["wallet.deposit_succeeded"],
        "experiment": {"experiment_id": "x", "holdout_percent": "90"},
        "then": [
            {
                "schedule": {
                    "timer": "later",
                    "after": "P2D",
                    "then": [{"send": {"template": "promo"}}],
                }
            }
        ],
    }
    c = cfg(rule)
    player = next(
        p
        for p in (f"p-{i}" for i in range(100))
        if decide(start(p), deposit(at(hours=1), player=p), c, T0).state.experiments["promo"].arm
        == "holdout"
    )
    d = fire_all(
        decide_all(start(player), [deposit(at(hours=1), player=player)], c, T0), c, "promo"
    )

    assert sends(d, "promo") == []
    assert held(d) == [("rule_holdout", "send:promo:email", "holdout")]


def test_a_held_out_cascade_is_recorded_once_and_arms_no_next_step():
    player = member()
    rule = {
        **PROMO,
        "then": [
            {"cascade": {"template": "promo", "channels": ["push", "sms", "email"], "wait": "PT2H"}}
        ],
    }
    c = everyone(rule)
    d = fire_all(
        decide_all(start(player), [deposit(at(hours=1), player=player)], c, T0), c, "promo"
    )

    assert sends(d, "promo") == []
    # push has no device: the cascade would have started by SMS.
    assert held(d) == [("control_group", "send:promo:sms", "holdout")]
    assert not [n for n in d.state.timers if n.startswith("cascade-")]


def test_a_variant_swaps_its_template_and_its_send_carries_the_variant():
    rule = {
        **PROMO,
        "experiment": {
            "experiment_id": "subject-test",
            "variants": [{"variant": "a"}, {"variant": "b", "templates": {"promo": "promo-b"}}],
        },
    }
    c = cfg(rule)
    seen = {}
    for i in range(40):
        p = f"p-{i}"
        d = decide(start(p), deposit(at(hours=1), player=p), c, T0)
        arm = d.state.experiments["promo"].arm
        [item] = [o for o in d.outbox if o.rule_id == "promo" and isinstance(o.effect, SendMessage)]
        seen[arm] = (item.effect.template, item.variant, d.ledger[0].variant)
    assert seen == {"a": ("promo", "a", "a"), "b": ("promo-b", "b", "b")}


def test_a_variant_with_its_own_then_runs_it_instead_of_the_rules():
    rule = {
        **PROMO,
        "experiment": {
            "experiment_id": "bonus-size",
            "variants": [{"variant": "big", "then": [{"award_points": {"points": 500}}]}],
        },
    }
    d = decide(start("p-1"), deposit(at(hours=1), player="p-1"), cfg(rule), T0)

    assert [e.points for e in d.ledger] == [500]
    assert sends(d, "promo") == []


# --- the property --------------------------------------------------------------------------

SEND = st.builds(
    lambda t, ch: {"send": {"template": t, "channel": ch, "on_cap": "defer"}},
    st.sampled_from(["promo", "receipt"]),
    st.sampled_from(CHANNELS),
)
CASCADE = st.builds(
    lambda chans: {"cascade": {"template": "promo", "channels": chans, "wait": "PT1H"}},
    st.lists(st.sampled_from(CHANNELS), min_size=2, max_size=4, unique=True),
)
REWARD = st.sampled_from(
    [
        {"award_points": {"points": 25}},
        {"grant_spins": {"wheel": "daily", "count": 2}},
        {"grant_badge": {"badge": "vip"}},
        {"open_offer": {"offer": "double", "multiplier": "2", "for": "PT2H"}},
    ]
)
LEAF = st.one_of(SEND, CASCADE, REWARD)
TIMER = st.builds(
    lambda then, n: {"schedule": {"timer": f"t{n}", "after": "PT3H", "then": then}},
    st.lists(LEAF, min_size=1, max_size=3),
    st.integers(0, 10_000),
)
ACTIONS = st.lists(st.one_of(LEAF, TIMER), min_size=1, max_size=4).filter(
    lambda acts: (
        len({a["schedule"]["timer"] for a in acts if "schedule" in a})
        == sum("schedule" in a for a in acts)
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    player=st.from_regex(r"p-[a-z0-9]{1,8}", fullmatch=True),
    then=ACTIONS,
    control=st.sampled_from(["0", "10", "50"]),
    holdout=st.sampled_from(["0", "30", "90"]),
    hour=st.integers(0, 23),
)
def test_a_held_out_player_never_receives_a_held_out_message_or_reward(
    player: str, then: list[dict[str, Any]], control: str, holdout: str, hour: int
) -> None:
    rule: dict[str, Any] = {"rule_id": "promo", "on": ["wallet.deposit_succeeded"], "then": then}
    if holdout != "0":
        rule["experiment"] = {"experiment_id": "x", "holdout_percent": holdout}
    c = cfg(rule, control=control)
    when = datetime(2026, 11, 24, hour, tzinfo=T0.tzinfo)
    d = decide_all(start(player), [deposit(when, player=player, event_id=eid("dep"))], c, when)
    d = fire_all(d, c, "promo")

    in_control = c.game.experiments.in_control_group(player)
    arm = d.state.experiments.get("promo")
    if not in_control and (arm is None or arm.arm != "holdout"):
        assert all(reason != "rule_holdout" for reason, _, _ in held(d))
        return
    marketing = [s for s in sends(d, "promo") if s.category == "marketing"]
    assert marketing == []
    assert [e for e in d.ledger if e.rule_id == "promo"] == []
    assert "promo" not in {g.rule_id for gs in d.state.rewards.spins.values() for g in gs}
    assert d.state.badges == {}
    assert d.state.engagement.offers == {}
    for reason, would, _ in held(d):
        assert reason == ("control_group" if in_control else "rule_holdout")
        assert would.split(":")[0] in {
            "send",
            "award_points",
            "grant_spins",
            "grant_badge",
            "open_offer",
        }


@settings(max_examples=40, deadline=None)
@given(
    player=st.from_regex(r"p-[a-z0-9]{1,8}", fullmatch=True),
    before=st.lists(st.integers(1, 50), min_size=2, max_size=2),
    after=st.lists(st.integers(1, 50), min_size=2, max_size=2),
    holdouts=st.tuples(st.sampled_from(["0", "20", "60"]), st.sampled_from(["0", "20", "60"])),
)
def test_re_entering_a_rule_after_its_weights_were_edited_never_moves_the_player(
    player: str, before: list[int], after: list[int], holdouts: tuple[str, str]
) -> None:
    def version(weights: list[int], holdout: str) -> ConfigSnapshot:
        variants = [
            {"variant": "a", "weight": weights[0]},
            {"variant": "b", "weight": weights[1], "templates": {"promo": "promo-b"}},
        ]
        experiment = {"experiment_id": "x", "holdout_percent": holdout, "variants": variants}
        return cfg({**PROMO, "experiment": experiment})

    first = decide(
        start(player), deposit(at(hours=1), player=player), version(before, holdouts[0]), T0
    )
    again = decide(
        first.state, deposit(at(hours=2), player=player), version(after, holdouts[1]), T0
    )

    assert again.state.experiments == first.state.experiments
    variants = {o.variant for o in first.outbox + again.outbox if o.rule_id == "promo"}
    assert variants <= {first.state.experiments["promo"].arm}
