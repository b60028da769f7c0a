"""`engage backtest`, `engage simulate` and `engage explain` (docs/backtest.md).

    engage backtest --config draft.json [--from 2026-10-01] [--to 2026-10-31] [--lake DIR]
                    [--published FILE] [--html out.html] [--png DIR] [--json]
                    [--workers auto|N] [--no-warmup] [--no-cache] [--no-scope]
    engage simulate --players 10000 --days 30 --profile casino|shop [--seed N]
                    [--config draft.json] [--published FILE] [--html out.html] [--png DIR]
                    [--workers auto|N]
    engage explain --player P [--template T] [--lake DIR] [--config FILE] [--from D] [--to D]

All three read files and compute in memory: nothing is written to a table, nothing is sent,
no schedule is armed. The published config is the starter config unless `--published` names
a config file (same format as a draft: docs/backtest.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from shared.backtest.workers import AUTO_MAX, AUTO_MIN_ROWS, auto_workers, usable_cores
from shared.local import stack_file

BAR_WIDTH = 30
WORKERS_HELP = (
    f"processes, players split among them (default auto: one per core, up to {AUTO_MAX}, "
    f"for a history of {AUTO_MIN_ROWS:,} rows or more; 1 below that)"
)


class ProgressBar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last: tuple[str, int] = ("", -1)

    def __call__(self, label: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        tenth = int(share * 10)
        if not self._tty:
            if (label, tenth) == self._last:
                return
            self._last = (label, tenth)
            print(f"... {label}: {share:.0%} ({done:,}/{total:,} events)", file=self._stream)
            return
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        end = "\n" if done >= total else ""
        self._stream.write(f"\r{label:>10} [{bar}] {share:4.0%} {done:,}/{total:,} events{end}")
        self._stream.flush()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{flag}: {text!r} is not a date (YYYY-MM-DD)") from exc


def _configs(args: argparse.Namespace) -> tuple[Any, Any]:
    """(published items, draft items or None) from the flags; raises DraftError."""
    from shared.backtest.config_items import load_items, starter_items

    published = load_items(args.published) if args.published else starter_items()
    draft = published.overlay(load_items(args.config)) if args.config else None
    return published, draft


def _snapshots(published: Any, draft: Any) -> tuple[Any, Any, list[str]]:
    """Compiled configs, and the draft's problems (a refused item would silently vanish)."""
    pub = published.build(1)
    problems = [f"published config: {p}" for p in pub.problems]
    new = None
    if draft is not None:
        new = draft.build(2)
        known = {str(p) for p in pub.problems}
        problems += [f"draft: {p}" for p in new.problems if str(p) not in known]
    return pub, new, problems


def _finish(report: Any, args: argparse.Namespace) -> int:
    from shared.backtest.render import as_json, charts, text_lines, write_html

    if getattr(args, "json", False):
        print(json.dumps(as_json(report), indent=2, default=str))
    else:
        print("\n".join(text_lines(report)))
    if args.html:
        page = write_html(report, Path(args.html))
        print(f"\nHTML report with charts: {page}", file=sys.stderr)
    if args.png:
        written = charts(report, Path(args.png), "png")
        print(f"\nPNG charts: {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0


def workers_arg(text: str) -> int | str:
    """`--workers`: "auto" or a number of processes (1: this one)."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(
            f"expected auto or a number of processes >= 1, not {text!r}"
        )
    return n


def _resolve_workers(asked: int | str, rows: int) -> int:
    return auto_workers(rows, usable_cores()) if asked == "auto" else int(asked)


def _processes(workers: int) -> str:
    return "one process" if workers == 1 else f"{workers} processes (players split)"


def cmd_backtest(args: argparse.Namespace) -> int:
    from shared.backtest.config_items import DraftError
    from shared.backtest.history import day_bounds, lake_days, read_lake
    from shared.backtest.published_cache import PublishedCache, backtest_keeping_published

    span = lake_days(args.lake)
    if span is None:
        return _fail(f"no lake events under {args.lake} (run `engage demo` or `engage up` first)")
    try:
        first = _day(args.date_from, "--from") if args.date_from else span[0]
        last = _day(args.date_to, "--to") if args.date_to else span[1]
        published, draft = _configs(args)
    except (ValueError, DraftError) as exc:
        return _fail(str(exc))
    if last < first:
        return _fail(f"--to {last} is before --from {first}")
    pub, new, problems = _snapshots(published, draft)
    if problems:
        return _fail("the config has items that would be skipped:\n  " + "\n  ".join(problems))
    count_from, until = day_bounds(first, last)
    bar = ProgressBar()
    history = read_lake(args.lake, until=last, since=None if args.warmup else first)
    rows = sum(p.size for p in history.players)
    workers = _resolve_workers(args.workers, rows)
    # Rows are parsed by the replay (in its workers, with several): counted after it.
    print(
        f"... {len(history.players):,} players, {rows:,} lake rows (from "
        f"{'the lake start' if args.warmup else first} to {last}); {_processes(workers)}",
        file=sys.stderr,
    )
    cache = PublishedCache(Path(args.lake).parent / "backtest-cache") if args.cache else None
    report = backtest_keeping_published(
        cache,
        history,
        published,
        pub,
        new,
        count_from,
        until,
        warmup=args.warmup,
        progress=bar,
        workers=workers,
        scoped=args.scoped,
    )
    for row in report.unreplayable_rows[:20]:
        print(f"    not replayed: {row.player_id} {row.event_id}: {row.reason}", file=sys.stderr)
    return _finish(report, args)


def cmd_simulate(args: argparse.Namespace) -> int:
    from shared.backtest.backtest import backtest, single_run
    from shared.backtest.config_items import DraftError
    from shared.backtest.history import day_bounds
    from shared.backtest.simulate import synthetic_history

    if args.players < 1 or args.days < 1:
        return _fail("--players and --days must be at least 1")
    try:
        start = _day(args.start, "--start")
        published, draft = _configs(args)
    except (ValueError, DraftError) as exc:
        return _fail(str(exc))
    pub, new, problems = _snapshots(published, draft)
    if problems:
        return _fail("the config has items that would be skipped:\n  " + "\n  ".join(problems))
    bar = ProgressBar()
    history = synthetic_history(
        args.players,
        args.days,
        args.profile,
        seed=args.seed,
        start=datetime.combine(start, datetime.min.time(), UTC),
        progress=lambda done, total: bar("generate", done, total),
    )
    count_from, until = day_bounds(start, start + timedelta(days=args.days - 1))
    events = history.event_count
    workers = _resolve_workers(args.workers, events)
    print(
        f"... {args.players:,} {args.profile} players, {events:,} events; {_processes(workers)}",
        file=sys.stderr,
    )
    if new is None:
        report = single_run(history, pub, count_from, until, progress=bar, workers=workers)
    else:
        report = backtest(history, pub, new, count_from, until, progress=bar, workers=workers)
    return _finish(report, args)


def cmd_explain(args: argparse.Namespace) -> int:
    from shared.backtest.config_items import DraftError
    from shared.backtest.explain import explain_from_lake
    from shared.backtest.history import day_bounds, lake_days

    span = lake_days(args.lake)
    if span is None:
        return _fail(f"no lake events under {args.lake} (run `engage demo` or `engage up` first)")
    try:
        last = _day(args.date_to, "--to") if args.date_to else span[1]
        shown_from = _day(args.date_from, "--from") if args.date_from else None
        published, draft = _configs(args)
    except (ValueError, DraftError) as exc:
        return _fail(str(exc))
    bar = ProgressBar()
    told = explain_from_lake(
        args.lake,
        args.player,
        (draft or published).build(1),
        last,
        template=args.template,
        progress=lambda done, total: bar("replay", done, total),
    )
    if shown_from is not None:
        start = day_bounds(shown_from, last)[0]
        told.lines = [line for line in told.lines if line.at >= start]
    print("\n".join(told.text()))
    return 0 if told.known else 1


def add_parsers(sub: Any) -> None:
    """Register the three commands on `engage`'s sub-parsers."""
    backtest = sub.add_parser(
        "backtest", help="replay the lake under the published config and a draft; compare"
    )
    backtest.add_argument("--config", required=True, help="the draft (docs/backtest.md)")
    backtest.add_argument("--published", help="the published config file (default: starter)")
    backtest.add_argument("--from", dest="date_from", help="first UTC day counted")
    backtest.add_argument("--to", dest="date_to", help="last UTC day counted")
    backtest.add_argument("--lake", default=str(stack_file.lake_dir()))
    backtest.add_argument("--html", help="write an HTML report with charts here")
    backtest.add_argument("--png", metavar="FOLDER", help="write the charts as PNG files here")
    backtest.add_argument("--json", action="store_true", help="print JSON instead of text")
    backtest.add_argument("--workers", type=workers_arg, default="auto", help=WORKERS_HELP)
    backtest.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="start players empty at --from instead of replaying the earlier lake first",
    )
    backtest.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="replay the published config too, even if an earlier backtest of the same "
        "history, window and code kept its run (in <lake>/../backtest-cache)",
    )
    backtest.add_argument(
        "--no-scope",
        dest="scoped",
        action="store_false",
        help="replay a draft of rules only for every player, not only for those its changed "
        "rules meet (the figures are the same; docs/backtest.md)",
    )
    backtest.set_defaults(func=cmd_backtest)

    simulate = sub.add_parser("simulate", help="the engine over a synthetic population")
    simulate.add_argument("--players", type=int, default=1_000)
    simulate.add_argument("--days", type=int, default=30)
    simulate.add_argument("--profile", choices=("casino", "shop"), default="casino")
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--start", default="2026-10-01", help="first simulated UTC day")
    simulate.add_argument("--config", help="a draft to compare with the published config")
    simulate.add_argument("--published", help="the published config file (default: starter)")
    simulate.add_argument("--html", help="write an HTML report with charts here")
    simulate.add_argument("--png", metavar="FOLDER", help="write the charts as PNG files here")
    simulate.add_argument("--json", action="store_true", help="print JSON instead of text")
    simulate.add_argument("--workers", type=workers_arg, default="auto", help=WORKERS_HELP)
    simulate.set_defaults(func=cmd_simulate)

    explain = sub.add_parser("explain", help="why did (or didn't) a player get a message")
    explain.add_argument("--player", required=True)
    explain.add_argument("--template", help="the message (default: everything that happened)")
    explain.add_argument("--lake", default=str(stack_file.lake_dir()))
    explain.add_argument("--config", help="explain under a draft instead of the published config")
    explain.add_argument("--published", help="the published config file (default: starter)")
    explain.add_argument("--from", dest="date_from", help="first UTC day shown")
    explain.add_argument("--to", dest="date_to", help="last UTC day replayed")
    explain.set_defaults(func=cmd_explain)
