"""A backtest as text (terminal), as JSON (console), as an HTML page with SVG charts and as
PNG charts.

The charts are drawn like the KPI report's (shared/reports/render.py: matplotlib, SVG next
to the page): daily sends per channel, cost per day, the reach funnel and suppressions,
each published beside draft.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from shared.backtest.backtest import BacktestReport, Side
from shared.backtest.outcome import Tally

MAX_LISTED = 200  # changed players listed in text and JSON (the count is always exact)


def _delta(a: float, b: float) -> str:
    return f"{a:g} -> {b:g} ({b - a:+g})"


def _alone(a: float, _: float) -> str:
    """A one-config run (a simulation without a draft): the figure, no comparison."""
    return f"{a:g}"


def funnel(t: Tally) -> list[tuple[str, int]]:
    return [
        ("players with events", len(t.players_seen)),
        ("a campaign rule acted", len(t.targeted)),
        ("a message queued", len(t.queued)),
        ("a message delivered", len(t.reached)),
    ]


def _rows(a: Counter[Any], b: Counter[Any]) -> list[tuple[Any, int, int]]:
    return [(k, a[k], b[k]) for k in sorted(set(a) | set(b), key=str)]


def text_lines(report: BacktestReport) -> list[str]:
    a, b = report.published.tally, report.draft.tally
    delta = _alone if report.single else _delta
    title = "Simulation" if report.single else "Backtest"
    window = f"{report.count_from.date()} .. {(report.until - timedelta(days=1)).date()}"
    out = [
        f"{title} {window} (UTC days): {report.players:,} players, {report.events:,} events",
        f"replayed in {report.seconds:.1f} s ({report.events_per_second:,.0f} decisions/s)",
    ]
    if report.published.cached and not report.single:
        out.append(
            "the published run is kept from an earlier backtest of this history, window "
            "and code (only the draft was replayed; --no-cache replays both)"
        )
    replayed = report.draft.players_replayed
    if not report.single and replayed is not None and replayed < report.players:
        out.append(
            f"the draft changes rules only: replayed for the {replayed:,} players whose "
            "decisions met a changed rule; the others' figures are the published run's"
        )
    if report.unreplayable:
        out.append(f"{report.unreplayable} lake rows could not be replayed (see --verbose)")
    out += [f"note: {n}" for n in report.notes]
    out += ["", "published config" if report.single else "published -> draft"]
    for label, n_a, n_b in (
        (name, x, y) for (name, x), (_, y) in zip(funnel(a), funnel(b), strict=True)
    ):
        out.append(f"{label}: {delta(n_a, n_b)}")
    out.append("messages per channel:")
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.sends_by_channel, b.sends_by_channel)]
    out.append("messages per template:")
    out += [
        f"    {t} ({c}): {delta(x, y)}"
        for (t, c), x, y in _rows(a.sends_by_template, b.sends_by_template)
    ]
    out.append("suppressions by reason:")
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.suppressions, b.suppressions)]
    out.append(f"held out (would have received): {delta(a.held_out, b.held_out)}")
    out.append(f"deferred (quiet hours, caps): {delta(a.deferrals, b.deferrals)}")
    out.append(
        f"points awarded: {delta(sum(a.points_by_rule.values()), sum(b.points_by_rule.values()))}"
    )
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.points_by_rule, b.points_by_rule)]
    out.append(
        f"spins granted: {delta(sum(a.spins_by_rule.values()), sum(b.spins_by_rule.values()))}"
    )
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.spins_by_rule, b.spins_by_rule)]
    money_a = Counter(a.money_cost(report.published.config))
    money_b = Counter(b.money_cost(report.draft.config))
    if money_a or money_b:
        out.append("bonus money (cents, rules budgeted in money):")
        out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(money_a, money_b)]
    out.append("campaign budgets exhausted:")
    for rule in sorted(set(a.budget_exhausted) | set(b.budget_exhausted)):
        when_a = a.budget_exhausted.get(rule)
        when_b = b.budget_exhausted.get(rule)
        shown = [when_a] if report.single else [when_a, when_b]
        out.append(f"    {rule}: " + " -> ".join(w.isoformat() if w else "never" for w in shown))
    if not (a.budget_exhausted or b.budget_exhausted):
        out.append("    none")
    out.append("missions completed:")
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.missions, b.missions)] or ["    none"]
    out.append("tier moves:")
    out += [f"    {k}: {delta(x, y)}" for k, x, y in _rows(a.tier_moves, b.tier_moves)] or [
        "    none"
    ]
    if report.single:
        return out
    out += ["", f"players whose outcome changed: {len(report.changed):,}"]
    for entry in report.changed[:MAX_LISTED]:
        out.append(f"  {entry.player_id}: {'; '.join(entry.differences)}")
        out += [f"    {line}" for line in entry.explanation]
    if len(report.changed) > MAX_LISTED:
        out.append(f"  ... and {len(report.changed) - MAX_LISTED:,} more")
    return out


def _side_json(side: Side) -> dict[str, Any]:
    t = side.tally
    return {
        "funnel": dict(funnel(t)),
        "sends_by_channel": dict(t.sends_by_channel),
        "sends_by_template": {f"{k[0]}/{k[1]}": n for k, n in t.sends_by_template.items()},
        "suppressions": dict(t.suppressions),
        "held_out": t.held_out,
        "deferrals": t.deferrals,
        "points_by_rule": dict(t.points_by_rule),
        "spins_by_rule": dict(t.spins_by_rule),
        "money_by_rule": t.money_cost(side.config),
        "budget_exhausted": {k: v.isoformat() for k, v in t.budget_exhausted.items()},
        "missions": dict(t.missions),
        "tier_moves": dict(t.tier_moves),
        "seconds": round(side.seconds, 3),
        "cached": side.cached,
        "players_replayed": side.players_replayed,
    }


def as_json(report: BacktestReport) -> dict[str, Any]:
    """The report for the console (plain JSON types)."""
    return {
        "from": report.count_from.date().isoformat(),
        "to": (report.until - timedelta(days=1)).date().isoformat(),
        "players": report.players,
        "events": report.events,
        "unreplayable": report.unreplayable,
        "notes": report.notes,
        "published": _side_json(report.published),
        "draft": _side_json(report.draft),
        "changed_count": len(report.changed),
        "changed": [
            {"player_id": c.player_id, "differences": c.differences, "explanation": c.explanation}
            for c in report.changed[:MAX_LISTED]
        ],
    }


def _days(report: BacktestReport) -> list[date]:
    first, last = report.count_from.date(), (report.until - timedelta(days=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def charts(report: BacktestReport, folder: Path, fmt: Literal["svg", "png"] = "svg") -> list[Path]:
    """The charts, as SVG (beside the HTML page) or PNG (to paste where SVG does not go):
    sends per day and channel, cost per day, funnel, suppressions; published drawn solid,
    draft dashed (or side by side for bars)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    a, b = report.published.tally, report.draft.tally
    days: Any = _days(report)  # matplotlib plots dates; its stubs say floats
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        path = folder / f"{name}.{fmt}"
        fig.savefig(path, dpi=120 if fmt == "png" else "figure")
        plt.close(fig)
        written.append(path)

    channels = sorted({c for _, c in a.sends_per_day} | {c for _, c in b.sends_per_day})
    fig, ax = plt.subplots(figsize=(9, 4))
    for channel in channels:
        (line,) = ax.plot(days, [a.sends_per_day[(d, channel)] for d in days], label=channel)
        if report.single:
            continue
        ax.plot(
            days,
            [b.sends_per_day[(d, channel)] for d in days],
            linestyle="--",
            color=line.get_color(),
            label=f"{channel} (draft)",
        )
    ax.set_title("messages delivered per day and channel")
    ax.legend(fontsize="small")
    fig.autofmt_xdate()
    save(fig, "sends_per_day")

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(days, [a.points_per_day[d] for d in days], label="points (published)")
    if not report.single:
        ax.plot(days, [b.points_per_day[d] for d in days], linestyle="--", label="points (draft)")
    ax.set_ylabel("points awarded")
    spins = ax.twinx()
    spins.plot(days, [a.spins_per_day[d] for d in days], color="#c0392b", label="spins")
    if not report.single:
        spins.plot(
            days,
            [b.spins_per_day[d] for d in days],
            color="#c0392b",
            linestyle="--",
            label="spins (draft)",
        )
    spins.set_ylabel("spins granted")
    ax.set_title("bonus cost per day")
    ax.legend(loc="upper left", fontsize="small")
    spins.legend(loc="upper right", fontsize="small")
    fig.autofmt_xdate()
    save(fig, "cost_per_day")

    other = None if report.single else funnel(b)
    _bars(plt, funnel(a), other, "reach funnel (players)", save, "reach_funnel")
    reasons = _rows(a.suppressions, b.suppressions)
    if reasons:
        _bars(
            plt,
            [(str(k), x) for k, x, _ in reasons],
            None if report.single else [(str(k), y) for k, _, y in reasons],
            "suppressions by reason",
            save,
            "suppressions",
        )
    return written


def _bars(
    plt: Any,
    published: Iterable[tuple[str, int]],
    draft: Iterable[tuple[str, int]] | None,
    title: str,
    save: Any,
    name: str,
) -> None:
    labels = [k for k, _ in published]
    left = [n for _, n in published]
    fig, ax = plt.subplots(figsize=(9, 0.8 + 0.5 * len(labels)))
    rows = range(len(labels))
    if draft is None:
        ax.barh(list(rows), left, height=0.6, label="published", color="#3b7dd8")
    else:
        right = [n for _, n in draft]
        ax.barh([r + 0.2 for r in rows], left, height=0.4, label="published", color="#3b7dd8")
        ax.barh([r - 0.2 for r in rows], right, height=0.4, label="draft", color="#e67e22")
    ax.set_yticks(list(rows), labels)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.legend(fontsize="small")
    save(fig, name)


def write_html(report: BacktestReport, out: Path) -> Path:
    """The page at `out` (its charts written beside it, in `<stem>_charts/`)."""
    folder = out.parent / f"{out.stem}_charts"
    images = charts(report, folder)
    body = "\n".join(html.escape(line) for line in text_lines(report))
    figures = "\n".join(
        f'<img src="{html.escape(folder.name)}/{p.name}" alt="{p.stem}">' for p in images
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>engage backtest</title>"
        "</head><body><h1>engage backtest</h1>"
        f"{figures}<pre>{body}</pre></body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
