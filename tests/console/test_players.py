"""Player lookup: what the console shows of a player, with contact details masked."""

from __future__ import annotations

from shared.console.players import mask_email, mask_phone

from .conftest import PLAYER, call, envelope


def test_the_player_view_shows_profile_ledger_timers_and_messages_with_contacts_masked(stack):
    stack.runtime.put_events([envelope("player.registered"), envelope("wallet.deposit_succeeded")])
    stack.runtime.pump()

    answer = call("GET", f"/api/players/{PLAYER}", role="viewer")

    assert answer.status == 200
    view = answer.json
    assert view["profile"]["email"] == "o***@***.com"
    assert view["profile"]["phone"] == "***23"
    assert "olena.k@example.com" not in answer.text
    assert "+447700900123" not in answer.text
    assert view["points_balance"] == 25
    assert [line["rule_id"] for line in view["ledger"]] == ["deposit-points"]
    templates = [m["effect"].get("template") for m in view["messages"]]
    assert "welcome" in templates
    assert "first-deposit" in templates
    assert all(m["effect"].get("to", "***").count("***") for m in view["messages"])
    assert set(view["sections"]) == {"marketing", "rules", "audit", "identity", "consent"}
    # The sample registration answers per channel and per product, from the signup form.
    consent = {(c["product"], c["channel"]): c for c in view["sections"]["consent"]}
    assert {k: v["granted"] for k, v in consent.items()} == {
        ("(every product)", "email"): True,
        ("(every product)", "sms"): False,
        ("(every product)", "push"): True,
        ("betting", "email"): False,
        ("casino", "email"): True,
        ("casino", "push"): True,
    }
    assert {c["source"] for c in consent.values()} == {"signup_form"}
    assert consent[("casino", "email")]["at"] == "2025-03-14T09:26:53+02:00"
    assert view["sections"]["audit"] == []
    assert view["sections"]["identity"] == {
        "merged_into": None,
        "merged_from": [],
        "shared_contacts": {},
        "duplicates": [],
    }


def test_the_player_view_lists_a_duplicate_contact_by_player_ids_only(stack):
    first = envelope("player.registered")
    second = envelope("player.registered")
    second["detail"] = {**second["detail"], "player_id": "p-dup", "event_id": "reg-dup"}
    stack.runtime.put_events([first])
    stack.runtime.pump()
    stack.runtime.put_events([second])
    stack.runtime.pump()

    answer = call("GET", "/api/players/p-dup", role="viewer")

    identity = answer.json["sections"]["identity"]
    assert identity["shared_contacts"] == {"email": PLAYER, "phone": PLAYER}
    assert {(d["channel"], d["first_player_id"]) for d in identity["duplicates"]} == {
        ("email", PLAYER),
        ("phone", PLAYER),
    }
    assert "olena.k@example.com" not in answer.text


def test_an_unknown_player_is_404(stack):
    answer = call("GET", "/api/players/p-nobody", role="viewer")

    assert answer.status == 404


def test_masking_keeps_enough_to_recognise_and_nothing_to_contact():
    assert mask_email("anna@example.org") == "a***@***.org"
    assert mask_email("x") == "x***"
    assert mask_phone("+447700900123") == "***23"
    assert mask_phone("123") == "***"


def test_the_player_view_includes_the_audit_trail_of_suppressions(stack):
    # Given a published rule that sends a marketing email on login, and a player without consent
    registered = envelope("player.registered")
    registered["detail"]["consents"] = {"email": False, "sms": False, "push": False}
    promo = {
        "rule_id": "login-promo",
        "on": ["player.logged_in"],
        "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
    }
    assert call("POST", "/api/config/rule", {"body": promo}).status == 201
    assert call("POST", "/api/publish", {}).status == 200
    # When the player logs in
    stack.runtime.put_events([registered, envelope("player.logged_in")])
    stack.runtime.pump()

    # Then the console shows why nothing was sent, and the starter's daily login spin
    audit = call("GET", f"/api/players/{PLAYER}", role="viewer").json["sections"]["audit"]
    found = sorted((a["category"], a["rule_id"]) for a in audit)
    assert found == [("bonus_granted", "daily-login-spin"), ("suppression", "login-promo")]
    [suppressed] = [a for a in audit if a["category"] == "suppression"]
    assert "consent" in suppressed["reason"]
