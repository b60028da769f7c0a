"""`engage backtest`, `simulate` and `explain`: clear refusals, figures on stdout, progress on
stderr."""

from __future__ import annotations

import json

from shared.local.cli import main


def test_backtest_without_a_lake_says_where_it_looked(tmp_path, capsys):
    code = main(["backtest", "--config", "d.json", "--lake", str(tmp_path / "none")])

    assert code == 2
    assert f"no lake events under {tmp_path / 'none'}" in capsys.readouterr().err


def test_simulate_refuses_a_draft_with_a_broken_rule_naming_it(tmp_path, capsys):
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps([{"rule_id": "oops", "on": ["player.logged_in"], "then": []}]))

    code = main(["simulate", "--players", "5", "--days", "2", "--config", str(draft)])

    err = capsys.readouterr().err
    assert code == 2
    assert "draft: rule 'oops'" in err
    assert "then" in err


def test_simulate_prints_the_figures_and_reports_progress_on_stderr(capsys):
    code = main(["simulate", "--players", "30", "--days", "3", "--profile", "shop", "--seed", "3"])

    captured = capsys.readouterr()
    assert code == 0
    assert "Simulation 2026-10-01 .. 2026-10-03 (UTC days): 30 players" in captured.out
    assert "messages per template:" in captured.out
    assert "published: 100%" in captured.err


def test_explain_without_a_lake_says_so(tmp_path, capsys):
    code = main(["explain", "--player", "p-1", "--lake", str(tmp_path)])

    assert code == 2
    assert "no lake events" in capsys.readouterr().err
