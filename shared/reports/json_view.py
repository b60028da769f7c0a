"""The report as JSON for the console's Reports tab, and the local source of it."""

from __future__ import annotations

from typing import Any

from shared.reports.figures import Report


def report_json(report: Report) -> dict[str, Any]:
    """Plain JSON figures: campaigns (sorted by rule id) and the player KPIs."""
    campaigns = []
    for c in sorted(report.campaigns.values(), key=lambda c: c.rule_id):
        uplift = None
        if c.uplift is not None:
            interval = c.uplift.interval()
            uplift = {
                "difference": c.uplift.difference,
                "low": interval[0] if interval else None,
                "high": interval[1] if interval else None,
                "treated": c.uplift.treated,
                "control": c.uplift.control,
            }
        campaigns.append(
            {
                "rule_id": c.rule_id,
                "reach": c.reach,
                "sends": c.sends,
                "suppressions": c.suppressions,
                "conversions": c.conversions,
                "first_touch_conversions": c.first_touch_conversions,
                "revenue": round(c.revenue, 2),
                "points_awarded": c.points_awarded,
                "spins_granted": c.spins_granted,
                "bonus_money": c.bonus_money,
                "budget_exhausted": [
                    {
                        "reason": run.reason,
                        "period": run.period,
                        "at": run.first_refused_at.isoformat(),
                        "refusals": run.refusals,
                    }
                    for run in c.budget_exhausted
                ],
                "uplift": uplift,
            }
        )
    return {
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
        "campaigns": campaigns,
        "kpis": {
            "churn_rate": report.churn_rate,
            "clv": round(report.clv, 2),
            "redemption_rate": report.redemption_rate,
            "unsubscribe_rate": report.unsubscribe_rate,
            "reactivation_rate": report.reactivation_rate,
            "loyalty_participation": report.loyalty_participation,
        },
        "retention": {
            cohort: {str(week): n for week, n in sorted(weeks.items())}
            for cohort, weeks in sorted(report.retention.items())
        },
    }
