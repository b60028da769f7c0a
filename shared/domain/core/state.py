"""Per-player state and what one decision writes: ledger lines and outbox effects."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.commerce.shop import ShopHistory
from shared.domain.core.hold import Hold
from shared.domain.core.state_copy import LEAVES, fresh
from shared.domain.game.game_rewards import Rewards
from shared.domain.game.leaderboards import BoardScore
from shared.domain.game.missions import MissionProgress
from shared.domain.game.points import Wallet
from shared.domain.game.tiers import TierStatus
from shared.domain.measurement.experiments import Assignment
from shared.domain.messaging.delivery import DeliveryLog
from shared.domain.players.engagement import Engagement
from shared.domain.players.profile import Profile
from shared.domain.players.rg import RgStatus

SCHEDULE_NAME_MAX = 64


def stable_id(*parts: str) -> str:
    """Deterministic id from its parts: the same decision always yields the same ids."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def schedule_name(player_id: str, timer: str) -> str:
    """EventBridge Scheduler name for a player's timer: one name per (player, timer).

    Readable prefix for operators, hash for uniqueness; <= 64 chars of [0-9a-zA-Z-_.].
    Re-arming the same timer reuses the name, so there is never a second schedule.
    """
    digest = hashlib.sha256(f"{player_id}\x1f{timer}".encode()).hexdigest()[:40]
    return f"{timer[:23]}.{digest}"


class PendingTimer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    rule_id: str
    due_at: datetime
    generation: int
    schedule_name: str
    # Built-in timers (a deferred send, the next step of a cascade) carry what to do.
    payload: dict[str, Any] | None = None


class PlayerState(BaseModel):
    """Everything the engine keeps per player, stored as one version-checked item."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    profile: Profile
    points_balance: int = 0
    timers: dict[str, PendingTimer] = Field(default_factory=dict)
    # Event times of each rule's recent firings, enough to enforce its limit.
    rule_fires: dict[str, list[datetime]] = Field(default_factory=dict)
    timer_seq: int = 0
    rg: RgStatus = Field(default_factory=RgStatus)
    engagement: Engagement = Field(default_factory=Engagement)
    delivery: DeliveryLog = Field(default_factory=DeliveryLog)
    # Current segments and when the player entered each.
    segments: dict[str, datetime] = Field(default_factory=dict)
    # The spendable balance as lots by expiry, reversible earns and clawback debt.
    wallet: Wallet = Field(default_factory=Wallet)
    tier: TierStatus = Field(default_factory=TierStatus)
    # Badge id -> when it was granted (once per badge).
    badges: dict[str, datetime] = Field(default_factory=dict)
    # Mission id -> the player's progress on it (current run, completions).
    missions: dict[str, MissionProgress] = Field(default_factory=dict)
    # Spins held by wheel and store items bought (shared/domain/game/game_rewards.py).
    rewards: Rewards = Field(default_factory=Rewards)
    # "<board>#<period>" -> the player's score there (pruned a while after the close).
    boards: dict[str, BoardScore] = Field(default_factory=dict)
    # Rule id -> the player's arm of its experiment, recorded at the first firing so later
    # weight edits never move the player (docs/experiments-and-budgets.md).
    experiments: dict[str, Assignment] = Field(default_factory=dict)
    # "<rule>#<period>" -> units of the rule's per-player budget used (current periods only).
    budget_used: dict[str, int] = Field(default_factory=dict)
    # Identity (docs/identity.md): the player this id was merged into (the id is then an
    # alias: its later events are applied there), and the ids merged into this player.
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    # Loaded per batch, not stored in the state item (like the wallet's reversible earns):
    # contact key -> its first player ("" when nobody has it yet) for the contacts the
    # batch's events give, and the state of the player a `player.merged` merges in.
    contact_owners: dict[str, str] = Field(default_factory=dict, exclude=True)
    merge_source: PlayerState | None = Field(default=None, exclude=True)
    # Interest in products and purchases per product (shared/domain/commerce/shop.py).
    shop: ShopHistory = Field(default_factory=ShopHistory)
    # Reorder window hook (shared/domain/core/reorder.py): events held until W old. Empty, and
    # left out of the stored JSON, when the window is 0.
    hold: Hold = Field(default_factory=Hold)
    version: int = 0

    @classmethod
    def new(cls, player_id: str) -> PlayerState:
        return cls(profile=Profile(player_id=player_id))

    def working_copy(self) -> PlayerState:
        """An independent copy for a decision to change, copying only what it can change.

        Containers and mutable models are rebuilt, unchangeable leaves and frozen models
        shared (shared/domain/core/state_copy.py): far cheaper than a JSON round trip or
        `model_copy(deep=True)`. Slices a decision replaces whole are shared, and maps whose
        values it only replaces get a new dict over the same values. The suite checks on
        every decision it makes that the original is left unchanged (tests/conftest.py).
        """
        copy = self.model_copy()
        fields = copy.__dict__
        for name, value in fields.items():
            if name in _REPLACED_WHOLE or type(value) in LEAVES:
                continue
            fields[name] = dict(value) if name in _VALUES_REPLACED else fresh(value)
        return copy


# Slices a decision replaces rather than changes (`apply_event`, `rg.observe` return new
# ones), and maps whose entries it sets or deletes but never changes in place (their
# values are frozen models, datetimes, ints or lists it replaces whole).
# The state merged in by a `player.merged` is only read.
_REPLACED_WHOLE = frozenset({"profile", "rg", "merge_source"})
_VALUES_REPLACED = frozenset(
    {"timers", "rule_fires", "segments", "badges", "boards", "experiments", "budget_used"}
)


# merge: the balance moving out of a merged player into the one it was merged into.
LedgerKind = Literal["earn", "spend", "expire", "reverse", "merge"]


class LedgerEntry(BaseModel):
    """One points movement. Its id is derived from (event, rule, action) so a replay
    produces the same id and the store's put-if-absent refuses the second write.

    `points` is signed: earns are positive; spends, expiries and reversals negative.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    entry_id: str
    player_id: str
    kind: LedgerKind = "earn"
    points: int
    balance_after: int
    rule_id: str
    event_id: str
    occurred_at: datetime
    reason: str
    # The entry a reversal claws back, the item a spend bought, or "owed" for a repayment.
    ref: str | None = None
    # For earns: when these points lapse (None: never).
    expires_at: datetime | None = None
    # The reference that can reverse this line ("deposit:<id>"), on earns and their reversals;
    # an earn is reversible until `reversible_until`.
    source: str | None = None
    reversible_until: datetime | None = None
    # The experiment variant the award came from (None: the rule has no experiment).
    variant: str | None = None

    @property
    def reversible_record(self) -> bool:
        """An earn whose reversibility the store keeps as its own item."""
        return self.kind == "earn" and self.source is not None and self.reversible_until is not None


def reversible_changes(
    ledger: Iterable[LedgerEntry],
) -> dict[tuple[str, str], LedgerEntry | None]:
    """(source, earn entry id) -> the earn to keep reversible, or None (its reversal drops
    it). An earn reversed by the same lines needs neither: the two cancel out."""
    changes: dict[tuple[str, str], LedgerEntry | None] = {}
    for line in ledger:
        if line.reversible_record and line.source is not None:
            changes[(line.source, line.entry_id)] = line
        elif line.kind == "reverse" and line.source is not None and line.ref is not None:
            key = (line.source, line.ref)
            if key in changes:
                del changes[key]
            else:
                changes[key] = None
    return changes


# Scalars, and the shop's typed values: a product or cart (a mapping, money as
# {"amount", "currency"}) or a list of them (shared/domain/commerce/shop_vars.py).
MessageVar = str | int | Decimal | dict[str, Any] | list[dict[str, Any]] | None


class SendMessage(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["send"] = "send"
    template: str
    channel: Literal["email", "sms", "push", "inbox"]
    category: Literal["marketing", "service"]
    # The template's product, for dispatch's send-time consent re-check.
    product: str | None = None
    # Which published config the template came from (the message log's "version").
    config_version: int = 0
    locale: str | None
    # Recipient address (PII) travels inside the encrypted table only; never logged.
    # None for the in-app inbox, which needs no address.
    to: str | None
    # Push device tokens (sensitive like contact data; never logged).
    devices: list[str] = Field(default_factory=list)
    vars: dict[str, MessageVar]


class InboxMessage(BaseModel):
    """An in-app message, rendered at delivery, kept until it expires."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    message_id: str
    player_id: str
    template: str
    category: Literal["marketing", "service"]
    subject: str
    text: str
    delivered_at: datetime
    expires_at: datetime
    read: bool = False


class ScheduleTimer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["schedule_timer"] = "schedule_timer"
    timer: str
    rule_id: str
    schedule_name: str
    due_at: datetime
    fire_at: datetime
    generation: int


class CancelTimer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["cancel_timer"] = "cancel_timer"
    timer: str
    schedule_name: str
    generation: int


class PublishEvent(BaseModel):
    """Put a derived event on the bus (and, for compliance alerts, the compliance topic)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["publish"] = "publish"
    detail_type: str
    detail: dict[str, Any]
    compliance: bool = False


Effect = Annotated[
    SendMessage | ScheduleTimer | CancelTimer | PublishEvent, Field(discriminator="kind")
]

AuditCategory = Literal[
    "suppression",
    "deferral",
    "flag",
    "exclusion",
    "timer_cancelled",
    "rg_event_refused",
    # A marketing effect a control-group or holdout player would have received.
    "held_out",
    # Spins granted as a bonus: a wheel's spins live in the state, so without this record
    # the lake (and a regulator asking for a player's bonus history) would not see them.
    "bonus_granted",
    # Data hygiene (docs/identity.md): a bad optional field dropped, a contact another
    # player registered first, one player merged into another.
    "field_dropped",
    "duplicate_contact",
    "merge",
]


class AuditEntry(BaseModel):
    """Why something did not happen, what RG noticed, or a bonus that is not a ledger line
    (spins): kept per player for compliance."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    audit_id: str
    player_id: str
    occurred_at: datetime
    category: AuditCategory
    stage: Literal["decision", "dispatch", "engine"]
    reason: str
    inputs: dict[str, str] = Field(default_factory=dict)
    event_id: str
    rule_id: str | None = None
    retain_until: datetime


class OutboxItem(BaseModel):
    """An effect committed with the state change that implies it, performed by dispatch."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    outbox_id: str
    player_id: str
    event_id: str
    rule_id: str
    created_at: datetime
    effect: Effect
    # The experiment variant the effect came from (None: the rule has no experiment).
    variant: str | None = None
