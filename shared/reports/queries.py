"""The report's SQL, kept to the subset DuckDB and Athena (Trino) share, and its parameters.

Every query filters on `dt`, the partition column, so Athena reads only the days asked for.
"""

from __future__ import annotations

from datetime import date
from importlib import resources

ACTIVITY_TYPES = (
    "player.logged_in",
    "game.round_finished",
    "wallet.deposit_succeeded",
    "shop.purchase",
)
REVENUE_TYPES = ("wallet.deposit_succeeded", "shop.purchase")
NAMES = (
    "campaign_reach",
    "campaign_sends",
    "campaign_suppressions",
    "campaign_bonus",
    "budget_refusals",
    "touches",
    "holdouts",
    "conversion_candidates",
    "retention",
    "churn",
    "clv",
    "redemption",
    "unsubscribe",
    "reactivation",
    "loyalty",
)
# Attribution's queries: run only when some rule has a goal.
GOAL_QUERIES = frozenset({"touches", "conversion_candidates", "holdouts"})


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    for value in values:
        # Detail-types come from the contract; refuse anything that could break the quoting.
        if not value.replace(".", "").replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"not a detail-type: {value!r}")
    return ", ".join(f"'{v}'" for v in values) or "''"


def sql(name: str, date_from: date, date_to: date, goal_types: list[str] | None = None) -> str:
    """The text of query `name` with its parameters filled in."""
    text = resources.files("shared.reports").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return text.format(
        date_from=date_from.isoformat(),
        date_to=date_to.isoformat(),
        activity_types=_in_list(ACTIVITY_TYPES),
        revenue_types=_in_list(REVENUE_TYPES),
        goal_types=_in_list(sorted(goal_types or [])),
    )
