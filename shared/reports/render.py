"""The report as text (for the terminal) and as an HTML page with SVG charts beside it."""

from __future__ import annotations

import html
from pathlib import Path

from shared.reports.figures import Campaign, Report


def _bonus(c: Campaign) -> str:
    parts = [f"{c.points_awarded} points", f"{c.spins_granted} spins"]
    if c.bonus_money is not None:
        parts.append(f"worth {c.bonus_money / 100:.2f} in bonus money")
    return ", ".join(parts)


def text_lines(report: Report) -> list[str]:
    """The report for a terminal, one line per figure."""
    out = [f"Report {report.date_from} .. {report.date_to} (UTC days)", ""]
    for c in sorted(report.campaigns.values(), key=lambda c: c.rule_id):
        sends = ", ".join(f"{ch} {n}" for ch, n in sorted(c.sends.items())) or "none"
        out.append(
            f"{c.rule_id}: reach {c.reach}; sends {sends}; conversions {c.conversions} "
            f"(first touch {c.first_touch_conversions}); revenue {c.revenue:.2f}; "
            f"bonus {_bonus(c)}"
        )
        for run in c.budget_exhausted:
            out.append(
                f"    {run.reason} ran out {run.first_refused_at:%Y-%m-%d %H:%M} UTC"
                f"{f' (period {run.period})' if run.period else ''}: {run.refusals} refused"
            )
        for reason, n in sorted(c.suppressions.items()):
            out.append(f"    {reason}: {n}")
        if c.uplift is not None:
            ci = c.uplift.interval()
            ci_text = f" [95% CI {ci[0]:+.1%} .. {ci[1]:+.1%}]" if ci else ""
            out.append(
                f"    uplift vs holdout {c.uplift.difference:+.1%}{ci_text} "
                f"(treated {c.uplift.treated_converted}/{c.uplift.treated}, "
                f"control {c.uplift.control_converted}/{c.uplift.control})"
            )
    out += [
        "",
        f"churn rate {report.churn_rate:.1%} ({report.churned}/{report.active_players} active "
        "players idle 30+ days)",
        f"CLV {report.clv:.2f} (revenue {report.revenue:.2f} / {report.registered} registered)",
        f"redemption rate {report.redemption_rate:.1%} ({report.points_redeemed}/"
        f"{report.points_awarded} points)",
        f"unsubscribe rate {report.unsubscribe_rate:.1%} ({report.unsubscribed}/"
        f"{report.marketed} players sent marketing)",
        f"reactivation conversion {report.reactivation_rate:.1%} ({report.reactivated}/"
        f"{report.lapsed_targeted} lapsed players messaged)",
        f"loyalty participation {report.loyalty_participation:.1%} "
        f"({report.loyalty_participants}/{report.loyalty_active} active players earned points)",
        "retention by registration week (share active in week N):",
    ]
    for cohort, weeks in sorted(report.retention.items()):
        size = weeks.get(-1, 0)
        shares = " ".join(f"w{w} {weeks[w] / size:.0%}" for w in sorted(weeks) if w >= 0 and size)
        out.append(f"    {cohort} ({size} players): {shares}")
    return out


def charts(report: Report, folder: Path) -> list[Path]:
    """SVG charts: revenue and conversions per campaign, retention curves per cohort."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    converting = [c for c in report.campaigns.values() if c.conversions or c.sends]
    if converting:
        fig, ax = plt.subplots(figsize=(8, 0.5 + 0.4 * len(converting)))
        names = [c.rule_id for c in converting]
        ax.barh(names, [c.revenue for c in converting], color="#3b7dd8")
        ax.set_xlabel("attributed revenue (last touch)")
        fig.tight_layout()
        path = folder / "revenue_by_campaign.svg"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    if report.retention:
        fig, ax = plt.subplots(figsize=(8, 4))
        for cohort, weeks in sorted(report.retention.items()):
            size = weeks.get(-1, 0)
            points = sorted((w, n / size) for w, n in weeks.items() if w >= 0 and size)
            ax.plot([w for w, _ in points], [s for _, s in points], marker="o", label=cohort)
        ax.set_xlabel("weeks since registration")
        ax.set_ylabel("share active")
        ax.legend(title="cohort", fontsize="small")
        fig.tight_layout()
        path = folder / "retention_by_cohort.svg"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def write_html(report: Report, folder: Path) -> Path:
    """`report.html` with the text figures and the charts (written next to it)."""
    images = charts(report, folder)
    body = "\n".join(html.escape(line) for line in text_lines(report))
    figures = "\n".join(f'<img src="{p.name}" alt="{p.stem}">' for p in images)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>engage report</title></head>"
        f"<body><h1>engage report</h1><pre>{body}</pre>{figures}</body></html>"
    )
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
