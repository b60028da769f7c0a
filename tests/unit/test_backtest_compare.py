"""A backtest compares two configs over one history and explains each changed player."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.backtest.backtest import backtest
from shared.backtest.config_items import ConfigItems, DraftError, load_items, parse_items
from shared.backtest.explain import explain
from shared.backtest.history import History, history_from_rows, parse_row, restore_placeholders
from shared.backtest.render import as_json, text_lines, write_html
from shared.backtest.simulate import synthetic_history
from shared.domain.outputs.lake import event_row
from tests.builders import NUDGE_RULES, T0, at, deposit, registered, round_, template

UNTIL = T0 + timedelta(days=7)
ITEMS = ConfigItems(
    rules=[dict(r) for r in NUDGE_RULES],
    templates=[template("hello"), template("welcome", category="service")],
    policies=[{"policy_id": "engagement", "lifecycle": False}],
)


def _history() -> History:
    return History.of(
        [
            registered(T0, player="p-a"),
            registered(T0, player="p-b"),
            deposit(at(days=1), player="p-b"),
            registered(T0, player="p-c", consent=False),
        ]
    )


def _draft(**nudge_changes) -> ConfigItems:
    nudge = {**NUDGE_RULES[0], **nudge_changes}
    return ITEMS.overlay(ConfigItems(rules=[nudge]))


def test_a_draft_that_drops_the_nudge_changes_the_players_who_got_it():
    report = backtest(_history(), ITEMS.build(1), _draft(enabled=False).build(2), T0, UNTIL)

    assert report.published.tally.sends_by_template == {("hello", "email"): 1}
    assert report.draft.tally.sends_by_template == {}
    assert [c.player_id for c in report.changed] == ["p-a"]
    assert report.changed[0].differences == ["email hello: 1 -> 0"]


def test_each_changed_player_is_explained_from_the_trace_of_both_runs():
    stricter = _draft(match={"player": {"country": ["GB"]}})

    report = backtest(_history(), ITEMS.build(1), stricter.build(2), T0, UNTIL)

    text = "\n".join(report.changed[0].explanation)
    assert "timer no-deposit fired; condition holds" in text
    assert "rule nudge: did not match: player.country" in text


def test_unchanged_players_are_not_listed():
    report = backtest(_history(), ITEMS.build(1), ITEMS.build(2), T0, UNTIL)

    assert report.changed == []


def test_explain_says_why_a_player_did_not_get_a_message():
    history = _history()
    player = next(p for p in history.players if p.player_id == "p-c")

    told = explain(player, "p-c", ITEMS.build(1), UNTIL, template="hello")

    text = "\n".join(told.text())
    assert "DID NOT GET IT" in text
    assert "no email consent" in text


def test_explain_says_when_a_player_got_it():
    history = _history()
    player = next(p for p in history.players if p.player_id == "p-a")

    told = explain(player, "p-a", ITEMS.build(1), UNTIL, template="hello")

    assert "GOT IT: email at 2026-11-27T09:00" in "\n".join(told.text())


def test_explain_of_an_unknown_player_says_so():
    told = explain(None, "p-zz", ITEMS.build(1), UNTIL, template="hello")

    assert told.text() == ["player p-zz: no events in the history"]


def test_a_draft_item_replaces_the_published_item_with_its_id_and_new_ones_join():
    extra = {
        "rule_id": "new-one",
        "on": ["player.logged_in"],
        "then": [{"send": {"template": "hello"}}],
    }

    merged = _draft(enabled=False).overlay(ConfigItems(rules=[extra]))

    by_id = {r["rule_id"]: r for r in merged.rules}
    assert by_id["nudge"]["enabled"] is False
    assert set(by_id) == {"nudge", "cancel-nudge", "points", "new-one"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rulez": []}, "draft: unknown section(s) ['rulez']"),
        ({"rules": {"rule_id": "x"}}, "draft.rules: expected an array of objects"),
        ({"game": {"wheelz": []}}, "draft.game.wheelz: unknown kind"),
        ("rules", "draft: expected a JSON object"),
    ],
)
def test_a_bad_draft_is_refused_with_the_place_and_the_reason(document, message):
    with pytest.raises(DraftError) as raised:
        parse_items(document, where="draft")

    assert message in str(raised.value)


def test_a_draft_file_that_is_not_json_is_refused_with_its_name(tmp_path):
    path = tmp_path / "draft.json"
    path.write_text("{not json")

    with pytest.raises(DraftError, match=r"draft\.json: not valid JSON"):
        load_items(path)


def test_a_lake_row_becomes_the_event_again_with_placeholders_for_contact_data():
    original = registered(T0, player="p-a", phone="+447700900123", birth_date="1990-01-02")
    row = event_row(
        {
            "source": "casino.example",
            "detail-type": "player.registered",
            "detail": original.model_dump(mode="json"),
        }
    )

    event = parse_row(row.player_id, row.event_id, row.detail_type, row.source, row.detail)

    assert event.email == "redacted@backtest.invalid"
    assert event.phone == "+10000000000"
    assert event.birth_date is None
    assert event.consents == original.consents
    assert "anna@example.org" not in row.detail


def test_consents_redacted_by_an_older_lake_read_as_no_consent():
    assert restore_placeholders({"consents": {"email": "redacted", "sms": True}}) == {
        "consents": {"sms": True}
    }


def test_a_simulation_is_the_same_for_the_same_seed_and_differs_for_another():
    one = synthetic_history(20, 5, "casino", seed=4, start=T0)
    same = synthetic_history(20, 5, "casino", seed=4, start=T0)
    other = synthetic_history(20, 5, "casino", seed=5, start=T0)

    ids = lambda h: [e.event_id for p in h.players for e in p.events]  # noqa: E731
    assert ids(one) == ids(same)
    assert ids(one) != ids(other)


def test_a_shop_simulation_makes_purchases_and_abandoned_carts():
    history = synthetic_history(50, 10, "shop", seed=2, start=T0)

    kinds = {e.detail_type for p in history.players for e in p.events}
    assert {"shop.purchase", "shop.cart_abandoned", "player.logged_in"} <= kinds
    assert "game.round_finished" not in kinds


def test_the_report_renders_as_text_json_and_an_html_page_with_charts(tmp_path):
    report = backtest(_history(), ITEMS.build(1), _draft(enabled=False).build(2), T0, UNTIL)

    lines = text_lines(report)
    page = write_html(report, tmp_path / "bt.html")

    assert "    hello (email): 1 -> 0 (-1)" in lines
    assert json.loads(json.dumps(as_json(report)))["changed_count"] == 1
    charts = sorted(p.name for p in (tmp_path / "bt_charts").iterdir())
    assert charts == [
        "cost_per_day.svg",
        "reach_funnel.svg",
        "sends_per_day.svg",
        "suppressions.svg",
    ]
    assert "bt_charts/sends_per_day.svg" in page.read_text()


def test_two_workers_give_the_same_figures_as_one():
    history = synthetic_history(40, 5, "casino", seed=9, start=T0)
    draft = _draft(enabled=False).build(2)

    one = backtest(history, ITEMS.build(1), draft, T0, UNTIL)
    two = backtest(history, ITEMS.build(1), draft, T0, UNTIL, workers=2)

    assert as_json(two)["published"] | {"seconds": 0} == as_json(one)["published"] | {"seconds": 0}
    assert [c.player_id for c in two.changed] == [c.player_id for c in one.changed]


def test_a_round_dumped_with_its_derived_outcome_reads_back_as_the_round():
    original = round_(at(hours=1), stake="2", payout="0")
    detail = original.model_dump(mode="json")
    assert detail["outcome"] == "loss"

    event = parse_row(
        "p-1", original.event_id, "game.round_finished", "casino.example", json.dumps(detail)
    )

    assert event == original


def test_a_changed_player_under_a_shared_budget_is_explained_as_the_full_run_decided():
    def budgeted(campaign: int) -> dict[str, object]:
        return {
            "rule_id": "deposit-bonus",
            "on": ["wallet.deposit_succeeded"],
            "then": [{"award_points": {"points": 100}}],
            "budget": {"unit": "points", "campaign": campaign},
        }

    events = [registered(T0, player=f"p-{i}") for i in range(4)]
    events += [deposit(at(hours=1 + i), player=f"p-{i}") for i in range(4)]
    base = ConfigItems(templates=ITEMS.templates, policies=ITEMS.policies)
    published = base.overlay(ConfigItems(rules=[budgeted(250)])).build(1)
    draft = base.overlay(ConfigItems(rules=[budgeted(1000)])).build(2)

    report = backtest(History.of(events), published, draft, T0, UNTIL)

    assert [c.player_id for c in report.changed] == ["p-2", "p-3"]
    told = "\n".join(report.changed[0].explanation)
    # Re-run alone, p-2 still sees the pool the first two players had used up.
    assert "budget_campaign (200 + 100 > 250)" in told
    assert "+100 points" in told.split("draft:")[1]


def _lake_rows(history: History) -> list[tuple[str, str, str, str, str]]:
    rows = [
        (
            e.player_id,
            e.event_id,
            e.detail_type,
            "casino.example",
            json.dumps(e.model_dump(mode="json")),
        )
        for p in history.players
        for e in p.events
    ]
    # A row that no longer meets the contract: reported, never replayed.
    rows.append(("sim-000003", "bad-1", "wallet.deposit_succeeded", "casino.example", "{}"))
    return sorted(rows, key=lambda r: r[0])


def test_lake_rows_are_parsed_by_the_workers_and_give_the_figures_one_process_gives():
    simulated = synthetic_history(30, 4, "casino", seed=3, start=T0)
    draft = _draft(enabled=False).build(2)
    serial_history = history_from_rows(_lake_rows(simulated))
    pooled_history = history_from_rows(_lake_rows(simulated))

    one = backtest(serial_history, ITEMS.build(1), draft, T0, UNTIL)
    two = backtest(pooled_history, ITEMS.build(1), draft, T0, UNTIL, workers=2)

    for side in ("published", "draft"):
        assert as_json(two)[side] | {"seconds": 0} == as_json(one)[side] | {"seconds": 0}
    assert [c.player_id for c in two.changed] == [c.player_id for c in one.changed]
    assert (two.players, two.events, two.unreplayable) == (30, simulated.event_count, 1)
    assert (one.players, one.events, one.unreplayable) == (30, simulated.event_count, 1)
    assert [r.event_id for r in two.unreplayable_rows] == ["bad-1"]
    # The parent parsed only the players it explained; the workers parsed the rest.
    explained = {c.player_id for c in two.changed}
    assert {p.player_id for p in pooled_history.players if p.parsed} <= explained
    assert len(explained) < 30
