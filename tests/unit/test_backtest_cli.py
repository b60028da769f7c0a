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


def _lake(tmp_path):
    from shared.adapters.lake_files import LocalLake
    from shared.domain.outputs.lake import event_row

    lake = LocalLake(tmp_path / "lake")
    rows = []
    for player, consent in (("p-a", True), ("p-b", False)):
        detail = {
            "player_id": player,
            "event_id": f"reg-{player}",
            "occurred_at": "2026-10-01T09:00:00+00:00",
            "locale": "en",
            "time_zone": "Europe/London",
            "country": "GB",
            "email": f"{player}@example.org",
            "consents": {"email": consent},
        }
        rows.append(
            {"source": "casino.example", "detail-type": "player.registered", "detail": detail}
        )
    lake.add(event_row(r) for r in rows)
    lake.flush()
    return lake.root


def test_explain_answers_from_the_lake_who_got_a_message_and_why_not(tmp_path, capsys):
    root = _lake(tmp_path)

    got = main(["explain", "--player", "p-a", "--template", "deposit-nudge", "--lake", str(root)])
    out_a = capsys.readouterr().out
    not_got = main(
        [
            "explain",
            "--player",
            "p-b",
            "--template",
            "deposit-nudge",
            "--lake",
            str(root),
            "--to",
            "2026-10-06",
        ]
    )
    out_b = capsys.readouterr().out

    assert (got, not_got) == (0, 0)
    assert "DID NOT GET IT" in out_a  # the nudge is due on 4 October: past the lake's last day
    assert "timer no-deposit-3d armed" in out_a
    assert "GOT IT" not in out_b
    assert "no email consent" in out_b


def test_backtest_prints_json_for_a_draft_over_the_lake(tmp_path, capsys):
    root = _lake(tmp_path)
    draft = tmp_path / "draft.json"
    draft.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "rule_id": "welcome-email",
                        "on": ["player.registered"],
                        "enabled": False,
                        "then": [{"send": {"template": "welcome", "channel": "email"}}],
                    }
                ]
            }
        )
    )

    code = main(["backtest", "--config", str(draft), "--lake", str(root), "--json"])

    body = json.loads(capsys.readouterr().out)
    assert code == 0
    # The welcome email is a service message: it goes with or without marketing consent.
    assert body["published"]["sends_by_template"] == {"welcome/email": 2}
    assert body["draft"]["sends_by_template"] == {}
    assert body["changed_count"] == 2


def test_workers_auto_is_one_process_per_core_for_a_large_history_only():
    from shared.backtest.workers import AUTO_MAX, AUTO_MIN_ROWS, auto_workers

    assert auto_workers(AUTO_MIN_ROWS - 1, cores=8) == 1  # seconds of work: no pool
    assert auto_workers(AUTO_MIN_ROWS, cores=1) == 1
    assert auto_workers(AUTO_MIN_ROWS, cores=2) == 2
    assert auto_workers(10 * AUTO_MIN_ROWS, cores=64) == AUTO_MAX


def test_workers_is_auto_by_default_and_says_so_and_refuses_nonsense(capsys):
    import argparse

    import pytest

    from shared.backtest.workers import AUTO_MAX, AUTO_MIN_ROWS
    from shared.local.cli_backtest import WORKERS_HELP, workers_arg

    assert workers_arg("auto") == "auto"
    assert workers_arg("3") == 3
    for bad in ("0", "-2", "two"):
        with pytest.raises(argparse.ArgumentTypeError, match="auto or a number"):
            workers_arg(bad)
    # The help text quotes the rule's numbers; it must follow them.
    assert f"{AUTO_MIN_ROWS:,} rows" in WORKERS_HELP
    assert f"up to {AUTO_MAX}" in WORKERS_HELP

    code = main(["simulate", "--players", "20", "--days", "2"])

    assert code == 0
    assert "; one process" in capsys.readouterr().err  # a small run: auto is one process
