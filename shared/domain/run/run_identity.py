"""Identity and data hygiene in a decision (docs/identity.md): dropped fields, the contact
index (duplicates, "once per contact"), and `player.merged`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from events.models import PlayerMerged, PlayerProfileUpdated, PlayerRegistered
from shared.domain.core import merge_rules
from shared.domain.core.state import (
    AuditEntry,
    CancelTimer,
    LedgerEntry,
    OutboxItem,
    PlayerState,
    stable_id,
)
from shared.domain.game.points import EXPIRY_TIMER
from shared.domain.players.contacts import (
    CONTACT_CHANNELS,
    MESSAGE_CONTACT,
    ContactClaim,
    DuplicateContact,
    contact_key,
)
from shared.domain.players.profile import Profile
from shared.domain.run import run_points, run_timers
from shared.domain.run.context import DecisionContext
from shared.domain.run.decision import MergedSource

MERGE_RULE = "engage:merge"
"""The rule id merge lines, audits and effects carry (no marketer rule makes them)."""


# --- bad optional fields ------------------------------------------------------------


def record_dropped_fields(ctx: DecisionContext) -> None:
    """Say which fields parse_event dropped and why (trace and audit; no values)."""
    if not ctx.event.__pydantic_private__:  # set only on a salvaged event (events/models.py)
        return
    for name, why in sorted(ctx.event.dropped_fields.items()):
        ctx.trace(None, f"{name} dropped: {why}; the rest of the event applies")
        ctx.audit(
            "field_dropped",
            f"{ctx.event.detail_type}: {name} dropped: {why}",
            inputs={"field": name},
            key=name,
        )


# --- the contact index --------------------------------------------------------------


def check_contacts(ctx: DecisionContext) -> None:
    """Claim the contacts this player gave, or note whose they are already.

    Reads the profile after the event (a late event that did not change the address
    changes nothing) and only keys the engine loaded: the owners of the others are
    unknown here, and guessing would write a claim that is not ours.
    """
    if not isinstance(ctx.event, PlayerRegistered | PlayerProfileUpdated):
        return
    profile = ctx.state.profile
    me = ctx.event.player_id
    shared = dict(profile.shared_contacts)
    for channel in CONTACT_CHANNELS:
        value = getattr(profile, channel)
        if value is None:
            shared.pop(channel, None)
            continue
        key = contact_key(channel, value)
        if key not in ctx.state.contact_owners:
            continue
        owner = ctx.state.contact_owners[key]
        if not owner or owner == me:
            if not owner:
                ctx.state.contact_owners[key] = me
                ctx.decision.contacts.append(ContactClaim(key, channel, me, ctx.event.occurred_at))
            shared.pop(channel, None)
            continue
        if shared.get(channel) == owner:
            continue  # known already (the same address sent again)
        shared[channel] = owner
        ctx.trace(None, f"{channel} is shared with player {owner}, who registered it first")
        ctx.audit(
            "duplicate_contact",
            f"duplicate_contact: this {channel} belongs to player {owner} already",
            inputs={"channel": channel, "first_player": owner},
            key=channel,
        )
        ctx.decision.duplicates.append(
            DuplicateContact(key, channel, me, owner, ctx.event.occurred_at)
        )
    profile.shared_contacts = shared


def contact_shared(
    ctx: DecisionContext, rule_id: str, channel: str, path: str, template: str
) -> bool:
    """A `once_per_contact` send on a contact another player had first: suppressed."""
    contact = MESSAGE_CONTACT.get(channel)
    owner = ctx.state.profile.shared_contacts.get(contact) if contact else None
    if owner is None:
        return False
    ctx.suppress(
        rule_id,
        f"send {template} by {channel}",
        f"duplicate_contact: once per contact, and player {owner} has this {contact}",
        path,
    )
    return True


# --- player.merged ------------------------------------------------------------------


def merge_in(ctx: DecisionContext) -> None:
    """Fold the merged player (loaded by the engine as `merge_source`) into this one."""
    event = ctx.event
    if not isinstance(event, PlayerMerged):
        return
    source = ctx.state.merge_source
    ctx.state.merge_source = None
    other_id = event.merged_player_id
    if source is None:
        return  # the engine always loads it; a bare decide() has nothing to merge
    if source.merged_into is not None:
        ctx.trace(MERGE_RULE, f"{other_id} was merged into {source.merged_into} already")
        return
    into = ctx.state
    rank = _tier_rank(ctx)
    _resolve_duplicates(ctx, into.profile, source.profile)
    into.profile = merge_rules.profile(into.profile, source.profile)
    _repoint_contacts(ctx, source.profile)
    into.rg = merge_rules.rg(into.rg, source.rg)
    into.wallet = merge_rules.wallet(into.wallet, source.wallet)
    into.tier = merge_rules.tier(into.tier, source.tier, rank)
    into.badges = merge_rules.earliest_times(into.badges, source.badges)
    into.missions = merge_rules.missions(into.missions, source.missions)
    into.rewards = merge_rules.rewards(into.rewards, source.rewards)
    into.delivery = merge_rules.deliveries(into.delivery, source.delivery)
    into.rule_fires = merge_rules.fires(into.rule_fires, source.rule_fires)
    into.experiments = {**source.experiments, **into.experiments}
    into.budget_used = {
        k: into.budget_used.get(k, 0) + source.budget_used.get(k, 0)
        for k in sorted({*into.budget_used, *source.budget_used})
    }
    into.merged_from = sorted({*into.merged_from, *source.merged_from, other_id})
    moved = source.points_balance
    out = _merged_out(ctx, source, moved)
    if moved:
        into.points_balance += moved
        ctx.decision.ledger.append(
            LedgerEntry(
                entry_id=ctx.id_for(MERGE_RULE, "merge.in"),
                player_id=event.player_id,
                kind="merge",
                points=moved,
                balance_after=into.points_balance,
                rule_id=MERGE_RULE,
                event_id=event.event_id,
                occurred_at=event.occurred_at,
                reason=f"merged from {other_id}",
                ref=other_id,
            )
        )
    _rearm_timers(ctx, source)
    run_points.ensure_expiry_timer(ctx)
    ctx.trace(
        MERGE_RULE,
        f"merged {other_id} in: {moved:+d} points (balance {into.points_balance}), "
        f"{len(source.badges)} badges, {len(source.timers)} timers",
    )
    ctx.audit(
        "merge",
        f"player {other_id} merged into {event.player_id}",
        MERGE_RULE,
        {"merged_player": other_id, "points": str(moved)},
    )
    ctx.decision.merged_source = out


def _tier_rank(ctx: DecisionContext) -> Callable[[str | None], int]:
    """Tier id -> its threshold in the current programme (-1: none, or unknown)."""
    program = ctx.config.game.tiers
    order = {t.tier_id: t.min_points for t in program.tiers} if program else {}
    return lambda tier: order.get(tier, -1) if tier is not None else -1


def _resolve_duplicates(ctx: DecisionContext, ours: Profile, theirs: Profile) -> None:
    """A duplicate between the two players is resolved by their merge: it leaves the list."""
    me, gone = ctx.event.player_id, _merged_id(ctx)
    for profile, owner, player in ((ours, gone, me), (theirs, me, gone)):
        for channel in CONTACT_CHANNELS:
            value = getattr(profile, channel)
            if profile.shared_contacts.get(channel) == owner and isinstance(value, str):
                key = contact_key(channel, value)
                ctx.decision.resolved.append(
                    DuplicateContact(key, channel, player, owner, ctx.event.occurred_at)
                )


def _merged_id(ctx: DecisionContext) -> str:
    assert isinstance(ctx.event, PlayerMerged)  # only merges get here
    return ctx.event.merged_player_id


def _repoint_contacts(ctx: DecisionContext, other: Profile) -> None:
    """The other's contacts are the merged player's now: its index items point here,
    and a contact this player shared with the other is no longer a duplicate."""
    me = ctx.event.player_id
    gone = _merged_id(ctx)
    for channel in CONTACT_CHANNELS:
        value = getattr(other, channel)
        if value is None:
            continue
        key = contact_key(channel, value)
        if ctx.state.contact_owners.get(key) == gone:
            ctx.state.contact_owners[key] = me
            ctx.decision.contacts.append(
                ContactClaim(key, channel, me, ctx.event.occurred_at, previous=gone)
            )
    profile = ctx.state.profile
    profile.shared_contacts = {
        channel: owner for channel, owner in profile.shared_contacts.items() if owner != gone
    }


def _rearm_timers(ctx: DecisionContext, source: PlayerState) -> None:
    """The other's pending timers go on here, unless this player has its own of that
    name; the points expiry timer is recomputed from the merged lots instead."""
    for timer, pending in sorted(source.timers.items()):
        if timer == EXPIRY_TIMER or timer in ctx.state.timers:
            ctx.trace(MERGE_RULE, f"timer {timer} of the merged player: not moved")
            continue
        run_timers.arm_timer(
            ctx, pending.rule_id, timer, pending.due_at, f"merge.timer.{timer}", pending.payload
        )


def _merged_out(ctx: DecisionContext, source: PlayerState, moved: int) -> MergedSource:
    """The merged player's side: its balance out, its timers cancelled, an alias left."""
    event = ctx.event
    other_id = _merged_id(ctx)

    def ids(path: str) -> str:
        return stable_id(other_id, event.event_id, MERGE_RULE, path)

    alias = PlayerState.new(other_id)
    alias.merged_into = event.player_id
    # Generations only ever grow, so a late fire of an old schedule stays stale.
    alias.timer_seq = source.timer_seq
    # Events the merged player still held (reorder window) stay with the alias: its
    # wake-up routes them to the survivor, where they are decided in their turn.
    alias.hold = source.hold
    alias.version = source.version
    out = MergedSource(state=alias)
    if moved:
        out.ledger.append(
            LedgerEntry(
                entry_id=ids("merge.out"),
                player_id=other_id,
                kind="merge",
                points=-moved,
                balance_after=0,
                rule_id=MERGE_RULE,
                event_id=event.event_id,
                occurred_at=event.occurred_at,
                reason=f"merged into {event.player_id}",
                ref=event.player_id,
            )
        )
    for timer, pending in sorted(source.timers.items()):
        out.outbox.append(
            OutboxItem(
                outbox_id=ids(f"merge.cancel.{timer}"),
                player_id=other_id,
                event_id=event.event_id,
                rule_id=MERGE_RULE,
                created_at=ctx.now,
                effect=CancelTimer(
                    timer=timer,
                    schedule_name=pending.schedule_name,
                    generation=pending.generation,
                ),
            )
        )
    retention = ctx.config.rg_thresholds.audit_retention_days
    out.audit.append(
        AuditEntry(
            audit_id=ids("audit.merge"),
            player_id=other_id,
            occurred_at=event.occurred_at,
            category="merge",
            stage="decision",
            reason=f"merged into player {event.player_id}; this id is now its alias",
            inputs={"merged_into": event.player_id, "points": str(moved)},
            event_id=event.event_id,
            rule_id=MERGE_RULE,
            retain_until=ctx.now + timedelta(days=retention),
        )
    )
    return out
