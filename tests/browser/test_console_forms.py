"""The console's forms in a real browser: a marketer builds the brief's casino playbook
(blackjack tips on day 1, a free spin after a losing streak, double points after 7 quiet
days, weekend high rollers vs casual slots players, a 3-games mission, a Gold celebration)
without typing any JSON, checks reach and the email preview, publishes only a selected
change, sees it in the journey view and the activity feed. Hostile text in a template
stays text. One browser and one stack for the module: the steps build on each other.
Screenshot: test-artifacts/console-forms.png (the journey view).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared import wiring
from shared.local.console_server import start_local_console
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config, start_moto

from .test_console import CHROMIUM, CHROMIUM_ARGS, REPO, sample

SCREENSHOT = REPO / "test-artifacts" / "console-forms.png"
HOSTILE_SUBJECT = 'Tips <img src=x onerror="window.__pwned=1">'

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def console_page():
    from playwright.sync_api import sync_playwright

    server, endpoint = start_moto()
    embedded = Embedded.on(server, endpoint, START)
    load_starter_config(embedded.runtime.config, embedded.clock.now())
    registered = sample("player.registered")
    embedded.runtime.put_events([registered, sample("wallet.deposit_succeeded")])
    embedded.runtime.pump()
    console = start_local_console(embedded.runtime)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(console.url)
        page.fill("#login-user", "mia")
        page.select_option("#login-role", "marketer")
        page.click("#login-submit")
        try:
            yield page, embedded, errors
        finally:
            browser.close()
            console.stop()
            wiring.reset()
            server.stop()


def field(path: str) -> str:
    return f'#form-root [data-path="{path}"]'


def new_item(page, tab: str) -> None:
    """Open a kind's tab, click New, and wait until its form is drawn."""
    page.click(f"#tab-kind-{tab}")
    page.wait_for_selector("#form-root:not([data-busy])")
    page.click("#new-item")
    page.wait_for_selector("#form-root:not([data-busy])")


def test_a_marketer_builds_publishes_and_follows_a_journey_with_forms_only(console_page):
    from playwright.sync_api import expect

    page, embedded, errors = console_page
    expect(page.locator("#who")).to_have_text("mia (marketer)")

    # A template, with a script in its HTML: refused, and the error sits on the field
    new_item(page, "template")
    page.fill(field("template_id"), "blackjack-tips")
    page.fill(field("subject"), HOSTILE_SUBJECT)
    page.fill(field("text"), "Day one at the tables: double down on 11.")
    page.fill(field("html"), "<p>Hi {{ first_name }}</p><script>window.__pwned=1</script>")
    page.click("#save")
    expect(page.locator('.field[data-field="html"] .field-error')).to_contain_text("script")
    page.fill(field("html"), "<p>Hi {{ first_name }}, double down on 11.</p>")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved blackjack-tips#email#en")
    # The HTML preview renders per locale in a sandboxed frame; the subject stays text
    page.click("#tool-preview")
    frame = page.locator('#preview-result iframe[data-locale="en"]')
    expect(frame).to_have_attribute("sandbox", "")
    assert "double down" in (frame.get_attribute("srcdoc") or "")
    expect(page.locator("#preview-result .subject")).to_have_text(HOSTILE_SUBJECT)

    # A segment through the condition builder, with its reach over current players
    new_item(page, "segment")
    page.fill(field("segment_id"), "depositors")
    page.fill('[data-field="match"] .cond-field', "deposit_count")
    page.select_option('[data-field="match"] .cond-op', ">=")
    page.fill('[data-field="match"] .cond-value', "1")
    page.click("#tool-reach")
    expect(page.locator("#reach-result")).to_contain_text("Reach: 1 of 1 current players")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved depositors")

    # A rule: free spins of the daily wheel after three losses in a row (pickers)
    new_item(page, "rule")
    page.fill(field("rule_id"), "loss-streak-spin")
    page.select_option(field("on.0"), "game.round_finished")
    page.fill('[data-field="match"] .cond-field', "loss_streak")
    page.select_option('[data-field="match"] .cond-op', ">=")
    page.fill('[data-field="match"] .cond-value', "3")
    page.select_option('[aria-label="then.0 kind"]', label="grant spins")
    page.fill(field("then.0.grant_spins.wheel"), "daily")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved loss-streak-spin")

    # "Come back within 2 hours for double points" after 7 quiet days: a timer whose
    # action (an offer) sits inside it, all through nested forms
    new_item(page, "rule")
    page.fill(field("rule_id"), "quiet-week-double")
    page.select_option(field("on.0"), "game.round_finished")
    page.click('[data-field="match"] .condition-row button')  # no condition: every round
    page.select_option('[aria-label="then.0 kind"]', label="schedule")
    page.fill(field("then.0.schedule.timer"), "quiet-7d")
    page.fill(field("then.0.schedule.after"), "P7D")
    page.select_option(field("then.0.schedule.slide_with"), "last_activity_at")
    page.select_option('[aria-label="then.0.schedule.then.0 kind"]', label="open offer")
    page.fill(field("then.0.schedule.then.0.open_offer.offer"), "double-points")
    page.fill(field("then.0.schedule.then.0.open_offer.multiplier"), "2")
    page.fill(field("then.0.schedule.then.0.open_offer.for"), "PT2H")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved quiet-week-double")
    saved = {r["rule_id"]: r for r in embedded.runtime.config.raw_items("rule")}
    timer = saved["quiet-week-double"]["then"][0]["schedule"]
    assert timer["then"] == [
        {"open_offer": {"offer": "double-points", "multiplier": 2, "for": "PT2H"}}
    ]
    assert "match" not in saved["quiet-week-double"]

    # A mission: New opens a usable form (never "{}")
    new_item(page, "mission")
    expect(page.locator(field("steps.0.on.0"))).to_be_visible()
    page.fill(field("mission_id"), "three-games")
    page.fill(field("name"), "Play 3 games")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved three-games")
    expect(page.locator('#item-list tr[data-id="three-games"] .badge.new')).to_be_visible()

    # Publish only the rule; the others stay pending
    page.click("#tab-publish")
    pending = page.locator("#pending tbody tr")
    expect(pending).to_have_count(5)
    page.check('input[aria-label="select rule loss-streak-spin"]')
    page.click("#publish-selected")
    expect(page.locator("#notice")).to_contain_text("Published config version 2")
    expect(pending).to_have_count(4)
    expect(page.locator("#pending")).not_to_contain_text("loss-streak-spin")
    live = embedded.runtime.config.publication_items(2)
    assert live is not None
    assert "loss-streak-spin" in live["rule"]
    assert "three-games" not in live["mission"]

    # The journey view draws it; a box opens its item
    page.click("#tab-journey")
    page.fill("#journey-prefix", "loss-streak")
    page.click("#journey-draw")
    expect(page.locator('[data-node="event:game.round_finished"]')).to_be_visible()
    expect(page.locator("#journey-svg")).to_contain_text("1 spins of daily")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click('[data-node="rule:loss-streak-spin"]')
    expect(page.locator("#editor-title")).to_have_text("rule: loss-streak-spin")
    expect(page.locator('#item-list tr[data-id="loss-streak-spin"] .badge.live')).to_be_visible()

    # The activity feed says who did what; every list can be searched
    page.click("#tab-activity")
    expect(page.locator("#activity")).to_contain_text("loss-streak-spin")
    page.fill("#activity-search", "three-games")
    expect(page.locator("#activity tbody tr:not([hidden])")).to_have_count(1)

    # Nothing hostile ever ran
    assert page.evaluate("window.__pwned") is None
    assert errors == []


def _play(embedded, detail_type: str, player: str, event_id: str, **detail) -> None:
    embedded.runtime.put_events(
        [
            {
                "source": "casino.example",
                "detail-type": detail_type,
                "detail": {
                    "player_id": player,
                    "event_id": event_id,
                    "occurred_at": embedded.clock.now().isoformat(),
                    **detail,
                },
            }
        ]
    )
    embedded.runtime.pump()


def _condition(page, n: int, field_name: str, op: str, value: str, scope: str = "player"):
    """Fill condition row n of the form's `match` (adding the row when it is not there)."""
    rows = page.locator('[data-field="match"] .condition-row')
    if rows.count() <= n:
        page.click('[data-field="match"] .add-condition')
    row = rows.nth(n)
    row.locator('[aria-label="about"]').select_option(scope)
    row.locator(".cond-field").fill(field_name)
    row.locator(".cond-op").select_option(op)
    row.locator(".cond-value").fill(value)


def test_the_rest_of_the_playbook_is_built_with_forms_and_fires_for_the_right_players(
    console_page,
):
    """Blackjack tips on day 1, weekend high rollers vs casual slots players, and a Gold
    celebration: built with forms only, published selectively, then played through."""
    from playwright.sync_api import expect

    from shared.local.embedded import sent_emails

    page, embedded, errors = console_page

    # Blackjack tips on day 1: a timer after sign-up sends the tips template (saved above)
    new_item(page, "rule")
    page.fill(field("rule_id"), "blackjack-day-one")
    page.select_option(field("on.0"), "player.registered")
    page.click('[data-field="match"] .condition-row button')
    page.select_option('[aria-label="then.0 kind"]', label="schedule")
    page.fill(field("then.0.schedule.timer"), "blackjack-tips")
    page.fill(field("then.0.schedule.after"), "PT3H")
    page.select_option('[aria-label="then.0.schedule.then.0 kind"]', label="send")
    page.fill(field("then.0.schedule.then.0.send.template"), "blackjack-tips")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved blackjack-day-one")

    # Two segments, two conditions each; a nested field typed as a dotted name
    new_item(page, "segment")
    page.fill(field("segment_id"), "weekend-high-rollers")
    _condition(page, 0, "avg_stake", ">=", "20")
    _condition(page, 1, "weekend_share", ">=", "0.5")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved weekend-high-rollers")
    new_item(page, "segment")
    page.fill(field("segment_id"), "casual-slots")
    _condition(page, 0, "category_share.slots", ">=", "0.6")
    _condition(page, 1, "avg_stake", "<", "5")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved casual-slots")
    segments = {s["segment_id"]: s for s in embedded.runtime.config.raw_items("segment")}
    assert segments["casual-slots"]["match"] == {
        "player": {
            "category_share": {"slots": [{"numeric": [">=", Decimal("0.6")]}]},
            "avg_stake": [{"numeric": ["<", 5]}],
        }
    }

    # The Gold celebration: an in-app message of the casino product, on the tier event
    new_item(page, "template")
    page.fill(field("template_id"), "gold-vip")
    page.select_option(field("channel"), "inbox")
    page.fill(field("product"), "casino")
    page.fill(field("subject"), 'Welcome to Gold, {{ first_name | "friend" }}')
    page.fill(field("text"), "Your Gold perks start today.")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved gold-vip#inbox#en")
    new_item(page, "rule")
    page.fill(field("rule_id"), "gold-vip-message")
    page.select_option(field("on.0"), "engage.tier.changed")
    _condition(page, 0, "tier", "is", "gold", scope="event")
    _condition(page, 1, "direction", "is", "up", scope="event")
    page.select_option('[aria-label="then.0 kind"]', label="send")
    page.fill(field("then.0.send.template"), "gold-vip")
    page.select_option(field("then.0.send.channel"), "inbox")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved gold-vip-message")
    rules = {r["rule_id"]: r for r in embedded.runtime.config.raw_items("rule")}
    assert rules["gold-vip-message"]["match"] == {"event": {"tier": ["gold"], "direction": ["up"]}}

    # Publish exactly these (the tips template too: the day-one rule sends it)
    page.click("#tab-publish")
    for kind, item_id in [
        ("rule", "blackjack-day-one"),
        ("template", "blackjack-tips#email#en"),
        ("segment", "weekend-high-rollers"),
        ("segment", "casual-slots"),
        ("template", "gold-vip#inbox#en"),
        ("rule", "gold-vip-message"),
    ]:
        page.check(f'input[aria-label="select {kind} {item_id}"]')
    page.click("#publish-selected")
    expect(page.locator("#notice")).to_contain_text("Published config version 3")
    expect(page.locator("#pending")).to_contain_text("three-games")
    expect(page.locator("#pending")).not_to_contain_text("blackjack-day-one")

    # Played through: two new players, a day-one timer, a Saturday of play, a big deposit
    for player in ("p-high", "p-casual"):
        _play(
            embedded,
            "player.registered",
            player,
            f"reg-{player}",
            locale="en",
            time_zone="Europe/London",
            country="GB",
            email=f"{player}@example.org",
            consents={"email": True},
        )
    embedded.runtime.advance(timedelta(hours=3))
    tips = [m["to"] for m in sent_emails(embedded) if m["subject"] == HOSTILE_SUBJECT]
    assert sorted(tips) == [["p-casual@example.org"], ["p-high@example.org"]]

    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    embedded.runtime.advance(saturday - embedded.clock.now())
    for n in range(4):
        _play(
            embedded,
            "game.round_finished",
            "p-high",
            f"r-high-{n}",
            round_id=f"h{n}",
            game_id="bj-1",
            category="table",
            stake="50",
            # Winning rounds: a deposit right after a losing run is held back (loss chasing).
            payout="60",
            currency="EUR",
        )
        _play(
            embedded,
            "game.round_finished",
            "p-casual",
            f"r-casual-{n}",
            round_id=f"c{n}",
            game_id="slot-7",
            category="slots",
            stake="1",
            payout="0.5",
            currency="EUR",
        )
    players = embedded.runtime.players
    assert set(players.state("p-high").segments) >= {"weekend-high-rollers"}
    assert "casual-slots" not in players.state("p-high").segments
    assert set(players.state("p-casual").segments) >= {"casual-slots"}
    assert "weekend-high-rollers" not in players.state("p-casual").segments

    # The high-roller segment's reach over the real players
    page.click("#tab-kind-segment")
    page.wait_for_selector("#form-root:not([data-busy])")
    page.click('#item-list tr[data-id="weekend-high-rollers"]')
    page.wait_for_selector("#form-root:not([data-busy])")
    page.click("#tool-reach")
    expect(page.locator("#reach-result")).to_contain_text("Reach: 1 of 3 current players")

    _play(
        embedded,
        "wallet.deposit_succeeded",
        "p-high",
        "dep-high",
        deposit_id="d-h",
        amount="2500",
        currency="EUR",
    )
    _play(
        embedded,
        "wallet.deposit_succeeded",
        "p-casual",
        "dep-casual",
        deposit_id="d-c",
        amount="20",
        currency="EUR",
    )
    assert players.state("p-high").tier.tier == "gold"
    assert "Welcome to Gold, friend" in [m.subject for m in players.inbox("p-high")]
    assert "Welcome to Gold, friend" not in [m.subject for m in players.inbox("p-casual")]
    assert page.evaluate("window.__pwned") is None
    assert errors == []


ROUND_TRIP = """
async () => {
  const token = sessionStorage.getItem("engage.console.token");
  const get = async (path) => (await fetch(path, { headers: { Authorization: `Bearer ${token}` } })).json();
  const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
  const pickers = await get("/api/pickers");
  const differ = [];
  let checked = 0;
  for (const kind of await get("/api/kinds")) {
    const form = await get(`/api/kinds/${kind.name}/form`);
    for (const item of (await get(`/api/config/${kind.name}`)).items) {
      const built = EngageForms.build(form.form, item.body, { pickers });
      const back = JSON.stringify(canon(built.get()));
      if (back !== JSON.stringify(canon(item.body))) differ.push(`${kind.name} ${item.item_id}: ${back}`);
      checked += 1;
    }
  }
  return { checked, differ };
}
"""


def test_every_stored_item_survives_the_form_unchanged(console_page):
    # Given every item of every kind (the starter set and what the marketer saved above)
    page, _, errors = console_page

    # When each is drawn in its form and read back
    result = page.evaluate(ROUND_TRIP)

    # Then nothing was lost, added or changed
    assert result["checked"] >= 30
    assert result["differ"] == [], "\n".join(result["differ"])
    assert errors == []
