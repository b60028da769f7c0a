"""The Backtest button and "Why (not)?" in a real browser, over the local event lake."""

from __future__ import annotations

import json

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
SCREENSHOT = REPO / "test-artifacts" / "console-backtest.png"


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


def test_a_marketer_backtests_a_draft_and_asks_why_a_player_got_a_message(stack_with_lake):
    from playwright.sync_api import expect, sync_playwright

    embedded, console = stack_with_lake
    runtime = embedded.runtime
    # Given a player who registered (the welcome email went out) and logged in
    registered = sample("player.registered")
    registered["detail"]["occurred_at"] = START.isoformat()
    runtime.put_events([registered])
    runtime.pump()
    player = registered["detail"]["player_id"]
    login = sample("player.logged_in")
    login["detail"].update(player_id=player, occurred_at=START.replace(minute=5).isoformat())
    runtime.put_events([login])
    runtime.pump()
    # and a second player who registered and never logged in
    other = sample("player.registered")
    other["detail"].update(
        player_id=f"{player}-2",
        event_id=f"{registered['detail']['event_id']}-2",
        email="other@example.com",
        phone="+447700900999",
        occurred_at=START.isoformat(),
    )
    runtime.put_events([other])
    runtime.pump()
    tables_before = runtime.players.ledger(player)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page_errors: list[str] = []
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        try:
            page.goto(console.url)
            page.fill("#login-user", "mia")
            page.select_option("#login-role", "marketer")
            page.click("#login-submit")
            # When the marketer drafts double daily-login points and backtests the draft
            expect(page.locator("#item-list")).to_contain_text("daily-login-points")
            page.click("#new-item")
            draft = {
                "rule_id": "daily-login-points",
                "on": ["player.logged_in"],
                "then": [{"award_points": {"points": 20, "reason": "daily login"}}],
                "limit": {"per_player": 1, "per": "day"},
            }
            page.click("#mode-json")  # the power user's JSON view
            page.fill("#editor", json.dumps(draft))
            page.click("#backtest")
            # Then the difference is shown: 10 -> 20 points, one player changed
            expect(page.locator("#backtest-summary")).to_contain_text(
                "outcome changed for 1 of them"
            )
            row = page.locator("#backtest-result tr", has_text="daily-login-points")
            expect(row).to_contain_text("+10")
            expect(page.locator("#backtest-changed")).to_contain_text("points earned: 10 -> 20")
            # A draft of rules only is replayed for the player its login rule meets
            expect(page.locator("#backtest-scope")).to_contain_text("replayed for the 1 of 2")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            # And in the player view, "why did they get the welcome email?"
            page.click("#tab-player")
            page.fill("#player-id", player)
            page.fill("#explain-template", "welcome")
            page.click("#explain")
            expect(page.locator("#explain-verdict")).to_contain_text(f"{player} got welcome")
            expect(page.locator("#explain-lines")).to_contain_text("rule welcome-email")
        finally:
            browser.close()
    assert page_errors == []
    assert runtime.players.ledger(player) == tables_before  # the backtest wrote nothing
