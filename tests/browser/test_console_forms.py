"""The console's forms in a real browser: a marketer builds part of the casino playbook
without typing any JSON, checks reach and the email preview, publishes only a selected
change, sees it in the journey view and the activity feed. Hostile text in a template
stays text. One browser and one stack for the module: the steps build on each other.
Screenshot: test-artifacts/console-forms.png (the journey view).
"""

from __future__ import annotations

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
