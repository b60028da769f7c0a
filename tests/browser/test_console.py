"""The console in a real browser (Debian's chromium, headless) against the local runtime.

A marketer signs in with the dev login, writes a rule with a mistake and sees the field
error next to the editor, fixes it, dry-runs it on a real player, publishes, an event goes
through the local bus, and the player view shows the rule fired. A player whose name is a
script tag is shown as text, never run. Screenshots: test-artifacts/console.png (player
view after the rule fired) and test-artifacts/console-dry-run.png (editor and dry-run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import wiring
from shared.local.console_server import start_local_console
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config, start_moto

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "test-artifacts" / "console.png"
DRY_RUN_SCREENSHOT = REPO / "test-artifacts" / "console-dry-run.png"
HOSTILE_NAME = "<script>window.__pwned=1</script>"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (REPO / "events" / "samples" / "valid" / f"{name}.json").read_text()
    )
    return loaded


@pytest.fixture
def local_stack():
    server, endpoint = start_moto()
    embedded = Embedded.on(server, endpoint, START)
    load_starter_config(embedded.runtime.config, embedded.clock.now())
    console = start_local_console(embedded.runtime)
    yield embedded, console
    console.stop()
    wiring.reset()
    server.stop()


def rule_text(points: int) -> str:
    return json.dumps(
        {
            "rule_id": "vip-first-deposit",
            "description": "Bonus points and a note on the first deposit",
            "on": ["wallet.deposit_succeeded"],
            "match": {"player": {"deposit_count": [1]}},
            "then": [
                {"award_points": {"points": points, "reason": "vip bonus"}},
                {"send": {"template": "deposit-nudge", "channel": "email"}},
            ],
        },
        indent=2,
    )


def test_a_marketer_writes_dry_runs_and_publishes_a_rule_that_then_fires(local_stack):
    from playwright.sync_api import expect, sync_playwright

    embedded, console = local_stack
    runtime = embedded.runtime
    # Given a real player (whose first name is a script tag) on the local stack
    registered = sample("player.registered")
    registered["detail"]["first_name"] = HOSTILE_NAME
    runtime.put_events([registered])
    runtime.pump()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        try:
            response = page.goto(console.url)
            assert response is not None
            assert "script-src 'self'" in response.headers["content-security-policy"]

            # When the marketer signs in with the dev login
            page.fill("#login-user", "mia")
            page.select_option("#login-role", "marketer")
            page.click("#login-submit")
            expect(page.locator("#who")).to_have_text("mia (marketer)")
            expect(page.locator("#item-list")).to_contain_text("daily-login-points")

            # And writes a rule with a mistake (0 points), as JSON (the power users' view)
            page.click("#new-item")
            page.click("#mode-json")
            page.fill("#editor", rule_text(0))
            page.click("#save")
            # Then the field error is shown next to the editor, and nothing was stored
            error = page.locator('#editor-errors li[data-path="then.0.award_points.points"]')
            expect(error).to_contain_text("greater than or equal to 1")
            assert "vip-first-deposit" not in {
                r.get("rule_id") for r in runtime.config.raw_items("rule")
            }

            # When it is fixed and saved
            page.fill("#editor", rule_text(50))
            page.click("#save")
            expect(page.locator("#notice")).to_contain_text("Saved vip-first-deposit (version 1)")
            expect(page.locator("#item-list")).to_contain_text("vip-first-deposit")

            # And dry-run on the real player with a deposit
            page.fill("#dry-player", "p-1001")
            page.click("#dry-run")
            # Then it would match, award the points and render the message in each locale,
            # with the player's hostile name shown as text
            expect(page.locator("#dry-verdict")).to_contain_text("Matched")
            expect(page.locator("#dry-actions")).to_contain_text("+50 points")
            expect(page.locator("#dry-result")).to_contain_text(HOSTILE_NAME)
            expect(page.locator("#dry-result .badge")).to_have_count(2)  # en and uk
            assert runtime.players.ledger("p-1001") == []  # a dry-run writes nothing
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(DRY_RUN_SCREENSHOT), full_page=True)

            # When the marketer publishes
            page.click("#tab-publish")
            page.fill("#publish-note", "vip first deposit")
            page.click("#publish")
            expect(page.locator("#notice")).to_contain_text("Published config version 2")
            assert runtime.config.published_version() == 2

            # And the player deposits (an operator's event through the local bus)
            runtime.put_events([sample("wallet.deposit_succeeded")])
            runtime.pump()

            # Then the player view shows the rule fired: points and the message
            page.click("#tab-player")
            page.fill("#player-id", "p-1001")
            page.click("#player-lookup")
            expect(page.locator("#player")).to_contain_text("vip bonus")
            expect(page.locator("#player-messages")).to_contain_text("vip-first-deposit")
            expect(page.locator("#player")).to_contain_text(HOSTILE_NAME)
            expect(page.locator("#player")).not_to_contain_text("olena.k@example.com")
            # And the script in the name never ran
            assert page.evaluate("window.__pwned") is None
            assert page_errors == []
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    ledger = runtime.players.ledger("p-1001")
    assert [(e.rule_id, e.points) for e in ledger if e.rule_id == "vip-first-deposit"] == [
        ("vip-first-deposit", 50)
    ]


def sign_in(page: Any, url: str, user: str, role: str) -> None:
    page.goto(url)
    page.fill("#login-user", user)
    page.select_option("#login-role", role)
    page.click("#login-submit")


def test_an_admin_invites_a_user_and_a_viewer_can_read_but_not_write(local_stack):
    from playwright.sync_api import expect, sync_playwright

    _, console = local_stack
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin = browser.new_context().new_page()
            sign_in(admin, console.url, "root", "admin")
            admin.click("#tab-users")
            admin.fill("#invite-username", "leo")
            admin.fill("#invite-email", "leo@example.com")
            admin.select_option("#invite-role", "marketer")
            admin.click("#invite")
            expect(admin.locator('#users tr[data-user="leo"]')).to_contain_text(
                "FORCE_CHANGE_PASSWORD"
            )
            expect(admin.locator('#users tr[data-user="leo"] select')).to_have_value("marketer")
            # Every list can be searched, users and publications too
            admin.fill("#users-search", "leo marketer")
            expect(admin.locator('#users tr[data-user="leo"]')).to_be_visible()
            admin.fill("#users-search", "nobody-called-this")
            expect(admin.locator('#users tr[data-user="leo"]')).to_be_hidden()
            admin.click("#tab-publish")
            expect(admin.locator("#publications tbody tr")).not_to_have_count(0)
            admin.fill("#publications-search", "no-publication-says-this")
            expect(admin.locator("#publications tbody tr:visible")).to_have_count(0)
            admin.fill("#publications-search", "v1")
            expect(admin.locator("#publications tbody tr:visible")).not_to_have_count(0)

            viewer = browser.new_context().new_page()
            sign_in(viewer, console.url, "vic", "viewer")
            expect(viewer.locator("#who")).to_have_text("vic (viewer)")
            expect(viewer.locator("#item-list")).to_contain_text("welcome-email")
            expect(viewer.locator("#save")).to_be_disabled()
            expect(viewer.locator("#tab-users")).to_have_count(0)
        finally:
            browser.close()
