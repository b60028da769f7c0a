"""A decision's result and the document conditions are evaluated on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from events.models import (
    EventDetail,
)
from shared.domain.commerce.shop import InterestChange, restock_due, restock_predictions
from shared.domain.core.state import (
    AuditEntry,
    LedgerEntry,
    OutboxItem,
    PlayerState,
    reversible_changes,
)
from shared.domain.game.game_rewards import SpinGrant
from shared.domain.game.leaderboards import BoardEntry
from shared.domain.language.document_fields import DocumentFields
from shared.domain.measurement.budgets import BudgetClaim, merge_claims
from shared.domain.players.contacts import ContactClaim, DuplicateContact


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
    # The spins this decision granted (they are in the state too): what a tally counts,
    # without comparing the state before and after (in place, there is no before).
    spins_granted: list[SpinGrant] = field(default_factory=list)

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
        self.spins_granted += step.spins_granted

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


_AS_IS = frozenset({str, int, float, bool, type(None), Decimal})


def _plain(value: Any) -> Any:
    """Document value for pattern matching: times as ISO strings, Decimals kept exact."""
    kind = type(value)
    if kind in _AS_IS:  # most values: one set lookup instead of four isinstance calls
        return value
    if kind is dict:
        return {k: v if type(v) in _AS_IS else _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    return value


_ABSENT: Any = object()


def _share(count: int, rounds: int) -> Decimal:
    return (Decimal(count) / rounds).quantize(Decimal("0.01"))


def _avg_stake(state: PlayerState, t: datetime) -> Any:
    profile = state.profile
    if not profile.rounds_played:
        return _ABSENT
    # Mixed-currency stakes are summed as they are: operators usually run one currency.
    total = sum(profile.stake_totals.values(), Decimal(0))
    return (total / profile.rounds_played).quantize(Decimal("0.01"))


def _category_share(state: PlayerState, t: datetime) -> Any:
    rounds = state.profile.rounds_played
    if not rounds:
        return _ABSENT
    return {c: _share(n, rounds) for c, n in state.profile.category_rounds.items()}


def _weekend_share(state: PlayerState, t: datetime) -> Any:
    rounds = state.profile.rounds_played
    return _share(state.engagement.weekend_rounds, rounds) if rounds else _ABSENT


def _days_since(field_name: str) -> Callable[[PlayerState, datetime], Any]:
    def days(state: PlayerState, t: datetime) -> Any:
        since = getattr(state.profile, field_name)
        return _ABSENT if since is None else max(0, (t - since).days)

    return days


def _rfm(state: PlayerState, t: datetime) -> Any:
    rfm = state.engagement.rfm
    return _ABSENT if rfm is None else rfm.model_dump()


def _churn_risk(state: PlayerState, t: datetime) -> Any:
    rfm = state.engagement.rfm
    return _ABSENT if rfm is None else rfm.churn_risk


# Facts derived from the state beyond the profile's own fields (they win over a profile
# field of the same name), in the order the full document lists them. "Days since" facts
# are measured at the event's time, so a replay sees the same values.
def _next_restock_at(state: PlayerState, t: datetime) -> Any:
    predictions = restock_predictions(state.shop)
    return min(predictions.values()) if predictions else _ABSENT


_DERIVED: dict[str, Callable[[PlayerState, datetime], Any]] = {
    "points_balance": lambda state, t: state.points_balance,
    "tier": lambda state, t: state.tier.tier,
    "badges": lambda state, t: sorted(state.badges),
    "pending_timers": lambda state, t: sorted(state.timers),
    "segments": lambda state, t: sorted(state.segments),
    "lifecycle_stage": lambda state, t: state.engagement.stage,
    "open_offers": lambda state, t: sorted(
        k for k, o in state.engagement.offers.items() if o.open_at(t)
    ),
    "rfm": _rfm,
    "churn_risk": _churn_risk,
    "avg_stake": _avg_stake,
    "category_share": _category_share,
    "weekend_share": _weekend_share,
    "days_since_registration": _days_since("registered_at"),
    "days_since_last_activity": _days_since("last_activity_at"),
    "days_since_last_deposit": _days_since("last_deposit_at"),
    "days_since_last_login": _days_since("last_login_at"),
    "shop_interests": lambda state, t: sorted(state.shop.interests),
    "purchased_skus": lambda state, t: sorted(state.shop.bought),
    "restock_due": lambda state, t: restock_due(state.shop, t),
    "next_restock_at": _next_restock_at,
}


def match_document(
    event: EventDetail, state: PlayerState, fields: DocumentFields | None = None
) -> dict[str, Any]:
    """The document conditions are evaluated on: {"event": detail, "player": profile}.

    Beyond the profile's own fields, `player` carries derived facts (see
    docs/segments-and-lifecycle.md): segments, lifecycle stage, RFM, shares of play.
    With `fields` (what a config's patterns can read), only those keys are built: every
    key present holds exactly what the full document would.
    """
    wanted_event = None if fields is None else fields.event
    wanted_player = None if fields is None else fields.player
    if wanted_event is None:
        event_doc = _plain(event.model_dump())
    elif wanted_event:
        event_doc = _event_doc(event, wanted_event)
    else:
        event_doc = {}
    return {"event": event_doc, "player": _player_doc(state, event.occurred_at, wanted_player)}


# Per event class: (its fields, its computed fields), or None when a serializer of its own
# shapes its dump (a profile update leaves out what was not sent): then it is dumped.
_EVENT_NAMES: dict[type, tuple[frozenset[str], frozenset[str]] | None] = {}


def _event_names(kind: type[EventDetail]) -> tuple[frozenset[str], frozenset[str]] | None:
    decorators = kind.__pydantic_decorators__
    if decorators.model_serializers or decorators.field_serializers:
        return None
    fields = kind.__pydantic_fields__
    if any(info.exclude for info in fields.values()):
        return None
    return frozenset(fields), frozenset(kind.__pydantic_computed_fields__)


def _event_doc(event: EventDetail, wanted: frozenset[str]) -> dict[str, Any]:
    """`event.model_dump(include=wanted)`, plain, read from the fields themselves: the same
    keys and values for a class whose dump is the default one, at a fraction of the cost."""
    kind = type(event)
    if kind not in _EVENT_NAMES:
        _EVENT_NAMES[kind] = _event_names(kind)
    names = _EVENT_NAMES[kind]
    if names is None:
        dumped = event.model_dump(include=set(wanted))
        return {k: _plain(v) for k, v in dumped.items()}
    fields, computed = names
    values = event.__dict__
    doc: dict[str, Any] = {}
    for name in wanted:
        if name in fields:
            value = values[name]
            doc[name] = value if type(value) in _AS_IS else _plain(value)
        elif name in computed:
            doc[name] = _plain(getattr(event, name))
    return doc


# A pattern set's player keys, split once: (profile fields, derived facts), in that order.
_PLAYER_NAMES: dict[frozenset[str], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _player_doc(state: PlayerState, t: datetime, wanted: frozenset[str] | None) -> dict[str, Any]:
    profile = state.profile
    player: dict[str, Any]
    names: Iterable[str]
    if wanted is None:
        player = _plain(profile.model_dump())
        names = _DERIVED
    else:
        split = _PLAYER_NAMES.get(wanted)
        if split is None:
            if len(_PLAYER_NAMES) >= 256:  # one entry per config's pattern set: stays small
                _PLAYER_NAMES.clear()
            fields = type(profile).__pydantic_fields__
            split = _PLAYER_NAMES[wanted] = (
                tuple(n for n in wanted if n not in _DERIVED and n in fields),
                tuple(n for n in wanted if n in _DERIVED),
            )
        values = profile.__dict__
        # Most values are plain already: checked here, saving a call per field.
        player = {name: v if type(v := values[name]) in _AS_IS else _plain(v) for name in split[0]}
        names = split[1]
    for name in names:
        value = _DERIVED[name](state, t)
        if value is not _ABSENT:
            player[name] = _plain(value)
    return player


def order_events(events: Iterable[EventDetail]) -> list[EventDetail]:
    """Event-time order; event_id breaks ties so the order is total and repeatable."""
    return sorted(events, key=lambda e: (e.occurred_at.astimezone(UTC), e.event_id))
