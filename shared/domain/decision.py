"""A decision's result and the document conditions are evaluated on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from events.models import (
    EventDetail,
)
from shared.domain.budgets import BudgetClaim, merge_claims
from shared.domain.contacts import ContactClaim, DuplicateContact
from shared.domain.leaderboards import BoardEntry
from shared.domain.shop import InterestChange, restock_due, restock_predictions
from shared.domain.state import (
    AuditEntry,
    LedgerEntry,
    OutboxItem,
    PlayerState,
    reversible_changes,
)


@dataclass(frozen=True)
class TraceLine:
    """One explained step of a decision (no PII: ids, rule names, amounts of points)."""

    event_id: str
    detail_type: str
    rule_id: str | None
    text: str

    def __str__(self) -> str:
        who = f"rule {self.rule_id}" if self.rule_id else "engine"
        return f"{who}: {self.text}"


@dataclass
class Decision:
    state: PlayerState
    ledger: list[LedgerEntry] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    trace: list[TraceLine] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # Leaderboard entries to upsert; one per (board, period, player), the latest wins.
    board_entries: list[BoardEntry] = field(default_factory=list)
    # Campaign budget units to claim in the commit, one claim per pool.
    claims: list[BudgetClaim] = field(default_factory=list)
    # Identity (docs/identity.md): contact index items to claim, duplicates found, and
    # what a `player.merged` writes to the merged (source) player in the same transaction.
    contacts: list[ContactClaim] = field(default_factory=list)
    duplicates: list[DuplicateContact] = field(default_factory=list)
    # Duplicates a merge resolved (the two players were one): removed from the list.
    resolved: list[DuplicateContact] = field(default_factory=list)
    merged_source: MergedSource | None = None
    # Writes to the product interest index (PRODUCT#<sku>), one per product, the latest wins.
    interests: list[InterestChange] = field(default_factory=list)

    def extend(self, step: Decision) -> None:
        """Append a later step's writes (its state replaces ours)."""
        self.state = step.state
        self.ledger += step.ledger
        self.outbox += step.outbox
        self.trace += step.trace
        self.audit += step.audit
        # A transaction may touch an item once: a later score replaces the earlier one.
        later = {e.key for e in step.board_entries}
        self.board_entries = [e for e in self.board_entries if e.key not in later]
        self.board_entries += step.board_entries
        self.claims = merge_claims(self.claims, step.claims)
        self.contacts += step.contacts
        self.duplicates += step.duplicates
        self.resolved += step.resolved
        self.merged_source = step.merged_source or self.merged_source
        later_skus = {c.sku for c in step.interests}
        self.interests = [c for c in self.interests if c.sku not in later_skus]
        self.interests += step.interests

    @property
    def write_count(self) -> int:
        # A reversible earn also writes its REV# item; its reversal deletes that item.
        reversible = len(reversible_changes(self.ledger))
        return (
            len(self.ledger)
            + reversible
            + len(self.outbox)
            + len(self.audit)
            + len(self.board_entries)
            + len(self.claims)
            + len(self.contacts)
            + len(self.duplicates)
            + len(self.resolved)
            + (self.merged_source.write_count if self.merged_source else 0)
            + len(self.interests)
        )


@dataclass
class MergedSource:
    """The merged player's side of a `player.merged`: its alias state and what moves out."""

    state: PlayerState
    ledger: list[LedgerEntry] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    @property
    def write_count(self) -> int:
        return 1 + len(self.ledger) + len(self.outbox) + len(self.audit)


def _plain(value: Any) -> Any:
    """Document value for pattern matching: times as ISO strings, Decimals kept exact."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def match_document(event: EventDetail, state: PlayerState) -> dict[str, Any]:
    """The document conditions are evaluated on: {"event": detail, "player": profile}.

    Beyond the profile's own fields, `player` carries derived facts (see
    docs/segments-and-lifecycle.md): segments, lifecycle stage, RFM, shares of play.
    "Days since" facts are measured at the event's time, so a replay sees the same values.
    """
    profile = state.profile
    player = profile.model_dump()
    engagement = state.engagement
    t = event.occurred_at
    player["points_balance"] = state.points_balance
    player["tier"] = state.tier.tier
    player["badges"] = sorted(state.badges)
    player["pending_timers"] = sorted(state.timers)
    player["segments"] = sorted(state.segments)
    player["lifecycle_stage"] = engagement.stage
    player["open_offers"] = sorted(k for k, o in engagement.offers.items() if o.open_at(t))
    if engagement.rfm is not None:
        player["rfm"] = engagement.rfm.model_dump()
        player["churn_risk"] = engagement.rfm.churn_risk
    rounds = profile.rounds_played
    if rounds:
        # Mixed-currency stakes are summed as they are: operators usually run one currency.
        player["avg_stake"] = (sum(profile.stake_totals.values(), Decimal(0)) / rounds).quantize(
            Decimal("0.01")
        )
        player["category_share"] = {
            c: (Decimal(n) / rounds).quantize(Decimal("0.01"))
            for c, n in profile.category_rounds.items()
        }
        player["weekend_share"] = (Decimal(engagement.weekend_rounds) / rounds).quantize(
            Decimal("0.01")
        )
    shop = state.shop
    player["shop_interests"] = sorted(shop.interests)
    player["purchased_skus"] = sorted(shop.bought)
    predictions = restock_predictions(shop)
    player["restock_due"] = restock_due(shop, t)
    if predictions:
        player["next_restock_at"] = min(predictions.values())
    for name, since in (
        ("days_since_registration", profile.registered_at),
        ("days_since_last_activity", profile.last_activity_at),
        ("days_since_last_deposit", profile.last_deposit_at),
        ("days_since_last_login", profile.last_login_at),
    ):
        if since is not None:
            player[name] = max(0, (t - since).days)
    return {"event": _plain(event.model_dump()), "player": _plain(player)}


def order_events(events: Iterable[EventDetail]) -> list[EventDetail]:
    """Event-time order; event_id breaks ties so the order is total and repeatable."""
    return sorted(events, key=lambda e: (e.occurred_at.astimezone(UTC), e.event_id))
