"""Identity in the pure core (docs/identity.md): dropped fields, the contact index,
once-per-contact sends and player.merged, decided without any I/O."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import Consents, PlayerMerged, parse_event
from shared.domain.core import merge_rules
from shared.domain.core.state import CancelTimer, PlayerState, ScheduleTimer, SendMessage
from shared.domain.players.contacts import contact_key, event_contacts
from shared.domain.players.profile import Profile
from shared.domain.run.decide import decide, decide_all
from tests.builders import NUDGE_RULES, T0, at, config, deposit, registered

WELCOME_ONCE = {
    "rule_id": "welcome",
    "on": ["player.registered"],
    "then": [{"send": {"template": "welcome", "channel": "email", "once_per_contact": True}}],
}
KEY = contact_key("email", "anna@example.org")


def merged(into: str, other: str, event_id: str = "merge-1") -> PlayerMerged:
    return PlayerMerged(
        player_id=into, event_id=event_id, occurred_at=at(days=1), merged_player_id=other
    )


def player(name: str, *events, cfg=None) -> PlayerState:
    cfg = cfg or config(*NUDGE_RULES)
    return decide_all(PlayerState.new(name), list(events), cfg, T0).state


# --- dropped fields ------------------------------------------------------------------------------


def test_a_dropped_field_is_traced_and_audited_without_its_value() -> None:
    event = parse_event(
        {
            "source": "casino.example",
            "detail-type": "player.registered",
            "detail": {
                **registered().model_dump(mode="json", exclude={"first_name"}),
                "first_name": "{{first_name}}",
            },
        }
    )
    decision = decide(PlayerState.new("p-1"), event, config(), T0)
    assert decision.state.profile.first_name is None
    assert any("first_name dropped" in line.text for line in decision.trace)
    (audit,) = [a for a in decision.audit if a.category == "field_dropped"]
    assert audit.inputs == {"field": "first_name"}
    assert "{{" not in audit.reason


# --- contacts ------------------------------------------------------------------------------------


def test_a_contact_nobody_has_is_claimed_by_the_registering_player() -> None:
    state = PlayerState.new("p-1")
    state.contact_owners = {KEY: ""}
    decision = decide(state, registered(), config(WELCOME_ONCE), T0)
    assert [(c.key, c.channel, c.player_id) for c in decision.contacts] == [(KEY, "email", "p-1")]
    assert decision.state.profile.shared_contacts == {}
    assert [o.effect.template for o in decision.outbox if isinstance(o.effect, SendMessage)] == [
        "welcome"
    ]


def test_a_contact_another_player_has_is_a_duplicate_and_the_once_per_contact_send_is_suppressed() -> (
    None
):
    state = PlayerState.new("p-2")
    state.contact_owners = {KEY: "p-1"}
    decision = decide(state, registered(player="p-2"), config(WELCOME_ONCE), T0)
    assert decision.contacts == []
    assert [(d.player_id, d.first_player_id) for d in decision.duplicates] == [("p-2", "p-1")]
    assert decision.state.profile.shared_contacts == {"email": "p-1"}
    assert not [o for o in decision.outbox if isinstance(o.effect, SendMessage)]
    reasons = [a.reason for a in decision.audit if a.category == "suppression"]
    assert any("duplicate_contact" in r for r in reasons)


def test_a_send_without_once_per_contact_still_goes_to_a_shared_address() -> None:
    rule = {**WELCOME_ONCE, "then": [{"send": {"template": "welcome", "channel": "email"}}]}
    state = PlayerState.new("p-2")
    state.contact_owners = {KEY: "p-1"}
    decision = decide(state, registered(player="p-2"), config(rule), T0)
    assert [o for o in decision.outbox if isinstance(o.effect, SendMessage)]


def test_an_unloaded_contact_is_neither_claimed_nor_judged() -> None:
    decision = decide(PlayerState.new("p-1"), registered(), config(WELCOME_ONCE), T0)
    assert decision.contacts == []
    assert decision.duplicates == []


def test_contact_keys_are_hashes_that_ignore_case_and_spaces_of_an_email() -> None:
    assert contact_key("email", " Anna@Example.org ") == KEY
    assert "anna" not in KEY
    assert len(KEY) == 64
    assert event_contacts(registered(phone="+447700900123")) == {
        "email": KEY,
        "phone": contact_key("phone", "+447700900123"),
    }


# --- merges --------------------------------------------------------------------------------------


def test_every_profile_field_has_a_merge_rule() -> None:
    assert merge_rules.profile_fields_covered() == set(Profile.model_fields)


@given(a=st.booleans(), b=st.booleans())
@settings(max_examples=20)
def test_merged_consent_is_granted_only_when_both_sides_granted(a: bool, b: bool) -> None:
    merged_consents = merge_rules.consents(Consents(email=a, sms=a), Consents(email=b, sms=not b))
    assert merged_consents.email == (a and b)
    assert merged_consents.sms == (a and not b)


def test_a_merge_moves_the_balance_with_a_line_on_each_side() -> None:
    cfg = config(*NUDGE_RULES)
    survivor = player("p-1", registered(player="p-1"), deposit(at(hours=1), "30", player="p-1"))
    other = player("p-2", registered(player="p-2"), deposit(at(hours=1), "20", player="p-2"))
    survivor.merge_source = other
    decision = decide(survivor, merged("p-1", "p-2"), cfg, T0)
    assert decision.state.points_balance == 50
    (line_in,) = [line for line in decision.ledger if line.kind == "merge"]
    assert (line_in.player_id, line_in.points, line_in.balance_after) == ("p-1", 20, 50)
    out = decision.merged_source
    assert out is not None
    (line_out,) = out.ledger
    assert (line_out.player_id, line_out.points, line_out.balance_after) == ("p-2", -20, 0)
    assert out.state.merged_into == "p-1"
    assert out.state.points_balance == 0
    assert decision.state.profile.deposit_count == 2
    assert decision.state.merge_source is None  # never written into the survivor's item


def test_a_merge_cancels_the_others_timers_in_its_own_partition() -> None:
    cfg = config(*NUDGE_RULES)
    survivor = player("p-1", registered(player="p-1"), deposit(at(hours=1), player="p-1"))
    other = player("p-2", registered(player="p-2"))
    survivor.merge_source = other
    decision = decide(survivor, merged("p-1", "p-2"), cfg, T0)
    out = decision.merged_source
    assert out is not None
    cancels = [(o.player_id, o.effect) for o in out.outbox if isinstance(o.effect, CancelTimer)]
    assert [(who, effect.timer) for who, effect in cancels] == [("p-2", "no-deposit")]
    arms = [o.effect for o in decision.outbox if isinstance(o.effect, ScheduleTimer)]
    assert [(a.timer, a.due_at) for a in arms] == [("no-deposit", at(days=3))]
    assert out.state.timer_seq == other.timer_seq


def test_a_merge_keeps_the_first_grant_of_a_badge_and_counts_both_sides_rule_fires() -> None:
    into = PlayerState.new("p-1")
    other = PlayerState.new("p-2")
    into.badges = {"first": at(days=2)}
    other.badges = {"first": at(days=1), "vip": at(days=3)}
    into.rule_fires = {"r": [at(days=2)]}
    other.rule_fires = {"r": [at(days=1)], "s": [at(days=1)]}
    into.merge_source = other
    state = decide(into, merged("p-1", "p-2"), config(), T0).state
    assert state.badges == {"first": at(days=1), "vip": at(days=3)}
    assert state.rule_fires == {"r": [at(days=1), at(days=2)], "s": [at(days=1)]}


def test_a_source_already_merged_into_this_player_is_not_merged_twice() -> None:
    into = player("p-1", registered(player="p-1"))
    alias = PlayerState.new("p-2")
    alias.merged_into = "p-1"
    into.merge_source = alias
    decision = decide(into, merged("p-1", "p-2", "merge-again"), config(), T0)
    assert decision.merged_source is None
    assert decision.ledger == []
    assert any("merged into p-1 already" in line.text for line in decision.trace)


@settings(max_examples=40, deadline=None)
@given(
    ours=st.lists(st.integers(1, 500), max_size=4),
    theirs=st.lists(st.integers(1, 500), max_size=4),
)
def test_property_after_a_merge_each_balance_is_the_sum_of_its_own_ledger(
    ours: list[int], theirs: list[int]
) -> None:
    cfg = config(*NUDGE_RULES)
    lines: dict[str, list[int]] = {"p-1": [], "p-2": []}
    states = {}
    for name, amounts in (("p-1", ours), ("p-2", theirs)):
        events = [registered(player=name)] + [
            deposit(at(hours=i + 1), str(amount), player=name) for i, amount in enumerate(amounts)
        ]
        decision = decide_all(PlayerState.new(name), events, cfg, T0)
        lines[name] += [line.points for line in decision.ledger]
        states[name] = decision.state
    total = states["p-1"].points_balance + states["p-2"].points_balance
    survivor = states["p-1"]
    survivor.merge_source = states["p-2"]
    decision = decide(survivor, merged("p-1", "p-2"), cfg, T0)
    assert decision.merged_source is not None
    lines["p-1"] += [line.points for line in decision.ledger]
    lines["p-2"] += [line.points for line in decision.merged_source.ledger]
    assert decision.state.points_balance == total == sum(lines["p-1"])
    assert decision.merged_source.state.points_balance == 0 == sum(lines["p-2"])
    assert decision.state.wallet.total() == total
