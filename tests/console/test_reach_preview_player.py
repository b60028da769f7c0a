"""Reach estimates over current players, the HTML email preview per locale, and the player
view's marketing facts and per-rule verdicts."""

from __future__ import annotations

from .conftest import PLAYER, call, envelope, template


def _players(stack, n_depositors: int, n_others: int) -> None:
    events = []
    for i in range(n_depositors + n_others):
        registered = envelope("player.registered")
        registered["detail"]["player_id"] = f"p-r{i}"
        registered["detail"]["event_id"] = f"reg-{i}"
        events.append(registered)
        if i < n_depositors:
            deposit = envelope("wallet.deposit_succeeded")
            deposit["detail"]["player_id"] = f"p-r{i}"
            deposit["detail"]["event_id"] = f"dep-{i}"
            deposit["detail"]["deposit_id"] = f"d-{i}"
            events.append(deposit)
    stack.runtime.put_events(events)
    stack.runtime.pump()


def test_reach_counts_the_players_a_segment_holds_for(stack):
    _players(stack, n_depositors=3, n_others=2)
    segment = {
        "segment_id": "depositors",
        "match": {"player": {"deposit_count": [{"numeric": [">=", 1]}]}},
    }

    answer = call("POST", "/api/reach", {"segment": segment}, role="viewer")

    assert answer.status == 200, answer.text
    assert answer.json["matched"] == 3
    assert answer.json["scanned"] == 5
    assert answer.json["complete"] is True
    assert answer.json["sample"] == ["p-r0", "p-r1", "p-r2"]


def test_reach_of_a_rule_counts_its_player_condition_and_says_the_event_part_is_left_out(stack):
    _players(stack, n_depositors=1, n_others=2)
    rule = {
        "rule_id": "big-deposit",
        "on": ["wallet.deposit_succeeded"],
        "match": {"event": {"amount": [{"numeric": [">", 100]}]}, "player": {"deposit_count": [0]}},
        "then": [{"award_points": {"points": 5}}],
    }

    answer = call("POST", "/api/reach", {"rule": rule}, role="viewer")

    assert answer.json["matched"] == 2
    assert any("event" in n for n in answer.json["notes"])


def test_reach_stops_at_its_bound_and_says_the_count_is_a_lower_bound(stack):
    from shared.console import wiring as console_wiring

    _players(stack, n_depositors=0, n_others=4)
    console_wiring.services().reach._max = 2

    answer = call("POST", "/api/reach", {"condition": {"player": {"deposit_count": [0]}}})

    assert (answer.json["matched"], answer.json["complete"]) == (2, False)
    assert any("lower bound" in n for n in answer.json["notes"])


def test_the_preview_renders_every_locale_with_the_footer_and_escaped_values(stack):
    # Given a player whose first name is markup, and an HTML email in two locales
    registered = envelope("player.registered")
    registered["detail"]["first_name"] = "<b>Olena</b>"
    stack.runtime.put_events([registered])
    stack.runtime.pump()
    html = "<html><body><p>Hi {{ first_name }}</p></body></html>"
    call("POST", "/api/config/template", {"body": template(html=html)})
    call("POST", "/api/config/template", {"body": template(locale="uk", html=html)})

    answer = call(
        "POST", "/api/preview", {"template_id": "vip", "player_id": PLAYER}, role="viewer"
    )

    assert answer.status == 200, answer.text
    variants = {v["locale"]: v for v in answer.json["variants"]}
    assert set(variants) == {"en", "uk"}
    assert "&lt;b&gt;Olena&lt;/b&gt;" in variants["en"]["html"]
    assert "unsubscribe.invalid" in variants["en"]["html"]
    assert variants["en"]["html"].index("unsubscribe") < variants["en"]["html"].index("</body>")
    assert answer.json["values_from"] == f"player {PLAYER}"


def test_the_player_view_shows_marketing_facts_and_why_each_rule_did_or_did_not_fire(stack):
    stack.runtime.put_events([envelope("player.registered"), envelope("wallet.deposit_succeeded")])
    stack.runtime.pump()

    sections = call("GET", f"/api/players/{PLAYER}", role="viewer").json["sections"]

    marketing = sections["marketing"]
    assert "first-deposit" in marketing["badges"]
    assert marketing["lifecycle"]["stage"] is not None
    assert set(marketing) >= {"segments", "rfm", "experiments", "tier"}
    rules = {r["rule_id"]: r for r in sections["rules"]}
    assert rules["welcome-email"]["fired"]
    nudge = rules["no-deposit-nudge"]
    assert nudge["verdict"].startswith("would not fire now: player.deposit_count")


class TestReadOnlyAnswers:
    """Refusals and previews that change nothing: one stack for them."""

    def test_a_bad_reach_condition_is_refused_with_the_field(self, shared_stack):
        answer = call(
            "POST", "/api/reach", {"condition": {"player": {"x": [{"numeric": [">", "a"]}]}}}
        )
        both = call("POST", "/api/reach", {"condition": {}, "segment": {}})

        assert answer.status == 422
        assert any(p.startswith("condition") for p in answer.field_errors)
        assert both.status == 422

    def test_the_preview_of_a_draft_shows_the_unsaved_text_with_sample_values(self, shared_stack):
        draft = template("welcome", html="<p>New {{ first_name }}</p>")

        answer = call("POST", "/api/preview", {"template_id": "welcome", "draft": draft})

        variants = {v["locale"]: v for v in answer.json["variants"]}
        assert "New Alex" in variants["en"]["html"]
        assert len(variants) >= 2  # the stored uk/ru variants too
        assert answer.json["values_from"] == "sample values"

    def test_a_preview_of_no_such_template_is_404(self, shared_stack):
        assert call("POST", "/api/preview", {"template_id": "nope"}).status == 404
