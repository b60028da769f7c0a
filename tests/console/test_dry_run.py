"""Dry-run: a draft rule against a real player's current profile, writing nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .conftest import PLAYER, call, envelope, rule


def register(stack, player_id: str = PLAYER, *, email_consent: bool = True) -> None:
    event = envelope("player.registered")
    event["detail"] = {
        **event["detail"],
        "player_id": player_id,
        "event_id": f"reg-{player_id}",
        "consents": {"email": email_consent, "sms": False, "push": False},
    }
    stack.runtime.put_events([event])
    stack.runtime.pump()


def deposit() -> dict[str, Any]:
    return envelope("wallet.deposit_succeeded")


def nudge_rule(**overrides) -> dict[str, Any]:
    fields = {
        "on": ["wallet.deposit_succeeded"],
        "match": {"player": {"deposit_count": [1]}},
        "then": [
            {"award_points": {"points": 50, "reason": "welcome bonus"}},
            {"send": {"template": "deposit-nudge", "channel": "email"}},
        ],
    }
    return rule("bonus-after-deposit", **{**fields, **overrides})


def dry_run(body: dict[str, Any], role: str = "viewer") -> Any:
    return call("POST", "/api/dry-run", body, role=role)


def scan(stack) -> list[Any]:
    ddb = stack.runtime.clients.client("dynamodb")
    items = []
    for table in (stack.resources.player_table, stack.resources.config_table):
        items += sorted(
            ddb.scan(TableName=table, ConsistentRead=True)["Items"],
            key=lambda i: (i["pk"]["S"], i["sk"]["S"]),
        )
    return items


def test_a_matching_draft_shows_its_actions_and_each_message_rendered_per_locale(stack):
    register(stack)

    answer = dry_run({"rule": nudge_rule(), "event": deposit(), "player_id": PLAYER})

    assert answer.status == 200, answer.text
    result = answer.json
    assert result["player_known"] is True
    assert result["matched"] is True
    assert result["failed_condition"] is None
    assert result["points"] == 50
    assert "+50 points (balance 50)" in result["actions"]
    assert [e["kind"] for e in result["effects"]] == ["send"]
    assert "to" not in result["effects"][0]
    [message] = result["messages"]
    assert message["would_send_now"] is True
    by_locale = {v["locale"]: v for v in message["variants"]}
    assert by_locale["en"]["subject"] == "Olena, your welcome bonus is waiting"
    assert by_locale["uk"]["subject"] == "Olena, ваш вітальний бонус чекає"
    assert result["suppressions"] == []


def test_a_draft_whose_condition_fails_says_which_condition(stack):
    register(stack)
    draft = nudge_rule(match={"player": {"deposit_count": [5]}})

    result = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER}).json

    assert result["matched"] is False
    assert result["failed_condition"] == "player.deposit_count: 1 does not match [5]"
    assert result["actions"] == []
    assert result["effects"] == []


def test_a_draft_for_another_event_type_says_what_it_listens_to(stack):
    register(stack)

    result = dry_run(
        {"rule": nudge_rule(), "event": envelope("player.logged_in"), "player_id": PLAYER}
    ).json

    assert result["listens"] is False
    assert "not player.logged_in" in result["failed_condition"]


def test_a_marketing_message_without_consent_is_shown_as_suppressed_with_the_reason(stack):
    register(stack, "p-2", email_consent=False)

    result = dry_run({"rule": nudge_rule(), "event": deposit(), "player_id": "p-2"}).json

    assert result["matched"] is True
    assert any("suppressed" in s and "consent" in s for s in result["suppressions"]), result
    assert result["messages"][0]["would_send_now"] is False
    # The preview is still rendered, so the marketer can read the copy.
    assert result["messages"][0]["variants"]


def test_the_draft_replaces_the_stored_rule_of_the_same_id(stack):
    register(stack)
    draft = rule(
        "deposit-points",
        on=["wallet.deposit_succeeded"],
        then=[{"award_points": {"rate": "2", "of": "amount"}}],
    )

    result = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER}).json

    assert result["points"] == 51  # 2 x 25.50, not the stored 1 x 25.50
    assert "deposit-points" not in result["other_rules"]
    assert "first-deposit-thanks" in result["other_rules"]


def test_a_dry_run_writes_nothing_anywhere(stack):
    register(stack)
    before = scan(stack)
    published = stack.runtime.config.published_version()

    answer = dry_run(
        {"rule": nudge_rule(), "event": deposit(), "player_id": PLAYER}, role="marketer"
    )

    assert answer.status == 200
    assert answer.json["points"] == 50
    assert scan(stack) == before
    assert stack.runtime.config.published_version() == published
    assert stack.runtime.players.ledger(PLAYER) == []


def test_an_invalid_draft_gets_field_errors_under_rule(stack):
    register(stack)

    answer = dry_run(
        {
            "rule": nudge_rule(then=[{"award_points": {"points": -1}}]),
            "event": deposit(),
            "player_id": PLAYER,
        }
    )

    assert answer.status == 422
    assert "rule.then.0.award_points.points" in answer.field_errors


def test_an_invalid_sample_event_gets_field_errors_under_event(stack):
    register(stack)
    event = copy.deepcopy(deposit())
    event["detail"]["amount"] = "lots"

    answer = dry_run({"rule": nudge_rule(), "event": event, "player_id": PLAYER})

    assert answer.status == 422
    [path] = answer.field_errors
    assert path.startswith("event.")
    assert "amount" in path


def test_an_unknown_player_is_evaluated_against_an_empty_profile_and_says_so(stack):
    result = dry_run(
        {"rule": rule(), "event": envelope("player.logged_in"), "player_id": "p-new"}
    ).json

    assert result["player_known"] is False
    assert result["matched"] is True
    assert any("unknown player" in n for n in result["notes"])


@pytest.mark.parametrize("player_id", ["", "anna@example.org"])
def test_the_player_id_must_be_an_id(stack, player_id):
    answer = dry_run(
        {"rule": rule(), "event": envelope("player.logged_in"), "player_id": player_id}
    )

    assert answer.status == 422
    assert "body.player_id" in answer.field_errors


def test_a_dry_run_shows_the_players_variant_of_the_drafts_experiment(stack):
    register(stack)
    draft = nudge_rule(experiment={"experiment_id": "welcome", "variants": [{"variant": "only"}]})

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    assert answer.status == 200, answer.text
    assert answer.json["variant"] == "only"
    assert answer.json["held_out"] == []


def test_a_dry_run_for_a_rule_holdout_player_shows_what_they_would_have_received(stack):
    register(stack)
    draft = nudge_rule(experiment={"experiment_id": "welcome", "holdout_percent": "90"})
    # This player's bucket falls in the 90 % (the rest would get the rule as written).

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    assert answer.status == 200, answer.text
    assert answer.json["variant"] == "holdout"
    assert answer.json["points"] == 0
    assert answer.json["held_out"] == [
        "rule_holdout: award_points:50",
        "rule_holdout: send:deposit-nudge:email",
    ]


def test_a_draft_granting_spins_of_an_existing_wheel_dry_runs_with_the_spins(stack):
    # The starter config has a "daily" wheel: the dry-run compiles game items like the engine
    register(stack)
    draft = rule(
        "spin-after-deposit",
        on=["wallet.deposit_succeeded"],
        then=[{"grant_spins": {"wheel": "daily", "count": 1}}],
    )

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    assert answer.status == 200, answer.text
    assert "+1 spin(s) of daily" in answer.json["actions"]
    assert not [a for a in answer.json["actions"] if "no such enabled wheel" in a]


def test_an_email_sent_and_a_push_suppressed_of_one_template_are_told_apart(stack):
    # Given a player with email consent and no push consent (register() turns push off)
    register(stack)
    draft = rule(
        "gold-news",
        on=["wallet.deposit_succeeded"],
        then=[
            {"send": {"template": "tier-up", "channel": "email"}},
            {"send": {"template": "tier-up", "channel": "push"}},
        ],
    )

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    # Then the email would go now and the push would not, and only the push is suppressed
    assert answer.status == 200, answer.text
    now = {m["channel"]: m["would_send_now"] for m in answer.json["messages"]}
    assert now == {"email": True, "push": False}
    assert [s for s in answer.json["suppressions"] if "push" in s]
    assert not [s for s in answer.json["suppressions"] if "by email" in s]


def test_a_message_on_a_timer_says_when_the_timers_condition_fails_for_the_player_now(stack):
    # Given a player who has deposited once, and a draft whose timer only sends if they
    # still have no deposit
    register(stack)
    draft = rule(
        "late-nudge",
        on=["wallet.deposit_succeeded"],
        then=[
            {
                "schedule": {
                    "timer": "late-nudge-3d",
                    "after": "P3D",
                    "if": {"player": {"deposit_count": [0]}},
                    "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
                }
            }
        ],
    )

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    # Then the preview says the timer's `if` fails for them now, with the reason
    assert answer.status == 200, answer.text
    (message,) = answer.json["messages"]
    assert message["on_timer"] is True
    assert message["would_send_now"] is False
    assert "deposit_count" in message["timer_condition_fails"]


def test_a_message_on_a_timer_whose_condition_holds_has_no_failure(stack):
    register(stack)
    draft = rule(
        "late-hello",
        on=["wallet.deposit_succeeded"],
        then=[
            {
                "schedule": {
                    "timer": "late-hello-3d",
                    "after": "P3D",
                    "if": {"player": {"deposit_count": [1]}},
                    "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
                }
            }
        ],
    )

    answer = dry_run({"rule": draft, "event": deposit(), "player_id": PLAYER})

    assert answer.status == 200, answer.text
    (message,) = answer.json["messages"]
    assert message["timer_condition_fails"] is None
