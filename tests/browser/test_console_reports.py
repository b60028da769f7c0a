"""The console's Reports tab in a real browser draws the figures of the local event lake."""

from __future__ import annotations

import pytest

from shared import wiring
from shared.adapters.lake_files import LocalLake
from shared.local.console_server import start_local_console
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config, start_moto

from .test_console import CHROMIUM, CHROMIUM_ARGS, REPO, sample

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)
SCREENSHOT = REPO / "test-artifacts" / "console-reports.png"


@pytest.fixture
def stack_with_lake(tmp_path):
    server, endpoint = start_moto()
    embedded = Embedded.on(server, endpoint, START)
    embedded.runtime.lake = LocalLake(tmp_path / "lake")
    load_starter_config(embedded.runtime.config, embedded.clock.now())
    console = start_local_console(embedded.runtime)
    yield embedded, console
    console.stop()
    wiring.reset()
    server.stop()


def test_the_reports_tab_shows_the_welcome_campaign_converting_a_deposit(stack_with_lake):
    from playwright.sync_api import expect, sync_playwright

    embedded, console = stack_with_lake
    runtime = embedded.runtime
    # Given a player who registered (welcome email) and deposited 25.50 a minute later
    registered = sample("player.registered")
    registered["detail"]["occurred_at"] = START.isoformat()
    runtime.put_events([registered])
    runtime.pump()
    deposit = sample("wallet.deposit_succeeded")
    deposit["detail"]["player_id"] = registered["detail"]["player_id"]
    deposit["detail"]["occurred_at"] = (START.replace(minute=START.minute + 1)).isoformat()
    runtime.put_events([deposit])
    runtime.pump()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        try:
            page.goto(console.url)
            page.fill("#login-user", "vic")
            page.select_option("#login-role", "viewer")
            page.click("#login-submit")
            # When the viewer opens the Reports tab
            page.click("#tab-reports")
            # Then the welcome campaign shows one send, one conversion and its revenue
            row = page.locator("#report-campaigns tr", has_text="welcome-email")
            expect(row).to_contain_text("email 1")
            expect(row.locator("td").nth(4)).to_have_text("1")
            expect(row.locator("td").nth(5)).to_have_text(f"{deposit['detail']['amount']:.2f}")
            expect(page.locator("#revenue-chart rect")).to_have_count(1)
            expect(page.locator("#report-kpis")).to_contain_text("loyalty participation")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert page_errors == []
