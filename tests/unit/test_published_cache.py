"""A backtest's published run is kept for the next draft over the same history, and only
under a key of everything it depends on (shared/backtest/published_cache.py)."""

from __future__ import annotations

from shared.backtest.backtest import backtest
from shared.backtest.config_items import ConfigItems
from shared.backtest.history import history_from_rows
from shared.backtest.published_cache import PublishedCache, cache_key
from shared.backtest.render import as_json, text_lines
from shared.backtest.simulate import synthetic_history
from tests.builders import T0
from tests.unit.test_backtest_compare import ITEMS, UNTIL, _draft, _lake_rows

SIMULATED = synthetic_history(20, 4, "casino", seed=5, start=T0)


def _rows():
    return _lake_rows(SIMULATED)


def _key(items=ITEMS, rows=None, version=1, until=UNTIL, warmup=True):
    return cache_key(items, version, history_from_rows(rows or _rows()), T0, until, warmup)


def _figures(report, side):
    return as_json(report)[side] | {"seconds": 0, "cached": None, "players_replayed": None}


def test_a_kept_published_run_gives_the_report_a_full_backtest_gives(tmp_path):
    cache = PublishedCache(tmp_path)
    draft = _draft(enabled=False).build(2)
    key = _key()
    assert key is not None
    assert cache.load(key, ITEMS.build(1)) is None

    full = backtest(history_from_rows(_rows()), ITEMS.build(1), draft, T0, UNTIL)
    assert cache.store(key, full.published)
    kept = cache.load(key, ITEMS.build(1))
    assert kept is not None
    again = backtest(
        history_from_rows(_rows()), ITEMS.build(1), draft, T0, UNTIL, published_side=kept
    )

    assert again.published.cached
    assert not full.published.cached
    for side in ("published", "draft"):
        assert _figures(again, side) == _figures(full, side)
    assert [(c.player_id, c.differences, c.explanation) for c in again.changed] == [
        (c.player_id, c.differences, c.explanation) for c in full.changed
    ]
    assert full.changed  # the draft changes someone: the comparison is not vacuous
    assert again.seconds == again.draft.seconds  # only the draft was replayed
    assert any("kept from an earlier backtest" in line for line in text_lines(again))
    assert not any("kept from an earlier backtest" in line for line in text_lines(full))


def test_the_key_changes_with_the_history_the_config_the_window_and_the_warmup():
    base = _key()
    rows = _rows()
    late = [*rows[:-1], (rows[-1][0], "late-1", *rows[-1][2:])]
    changed_detail = [(*rows[0][:4], rows[0][4] + " "), *rows[1:]]
    other_items = _draft(enabled=False)
    assert _key() == base  # the same inputs, the same key
    assert (
        len(
            {
                base,
                _key(rows=late),
                _key(rows=changed_detail),
                _key(items=other_items),
                _key(version=2),
                _key(until=UNTIL - (UNTIL - T0) / 2),
                _key(warmup=False),
            }
        )
        == 7
    )


def test_a_history_without_rows_or_already_parsed_is_not_kept():
    assert cache_key(ITEMS, 1, SIMULATED, T0, UNTIL, True) is None
    parsed = history_from_rows(_rows())
    assert parsed.event_count
    assert cache_key(ITEMS, 1, parsed, T0, UNTIL, True) is None


def test_a_run_with_a_campaign_budget_is_not_kept_and_a_broken_file_reads_as_nothing(tmp_path):
    cache = PublishedCache(tmp_path)
    rule = {
        "rule_id": "deposit-bonus",
        "on": ["wallet.deposit_succeeded"],
        "then": [{"award_points": {"points": 100}}],
        "budget": {"unit": "points", "campaign": 1000},
    }
    budgeted = ITEMS.overlay(ConfigItems(rules=[rule])).build(1)
    assert not budgeted.problems
    run = backtest(history_from_rows(_rows()), budgeted, budgeted, T0, UNTIL)
    assert not cache.store("k", run.published)
    assert not (tmp_path / "k.pickle").exists()

    (tmp_path / "broken.pickle").write_bytes(b"not a pickle")
    assert cache.load("broken", ITEMS.build(1)) is None


def test_only_the_last_runs_kept_stay_in_the_folder(tmp_path):
    import os

    cache = PublishedCache(tmp_path, keep=2)
    side = backtest(history_from_rows(_rows()), ITEMS.build(1), ITEMS.build(1), T0, UNTIL).published
    for n, key in enumerate(("a", "b", "c")):
        assert cache.store(key, side)
        os.utime(tmp_path / f"{key}.pickle", ns=(n * 10**9, n * 10**9))  # one second apart

    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pickle", "c.pickle"]
    assert cache.load("c", ITEMS.build(1)) is not None
    assert cache.load("a", ITEMS.build(1)) is None
