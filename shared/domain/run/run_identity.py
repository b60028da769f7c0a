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
from shared.domain.run.decision import MergedSource
from shared.domain.run.run_base import RunBase

MERGE_RULE = "engage:merge"
"""The rule id merge lines, audits and effects carry (no marketer rule makes them)."""


class IdentityMixin(RunBase):
    """Identity and data hygiene: dropped fields, contacts, merges."""

    # --- bad optional fields ------------------------------------------------------------

    def record_dropped_fields(self) -> None:
        """Say which fields parse_event dropped and why (trace and audit; no values)."""
        for name, why in sorted(self.event.dropped_fields.items()):
            self.trace(None, f"{name} dropped: {why}; the rest of the event applies")
            self.audit(
                "field_dropped",
                f"{self.event.detail_type}: {name} dropped: {why}",
                inputs={"field": name},
                key=name,
            )

    # --- the contact index --------------------------------------------------------------

    def check_contacts(self) -> None:
        """Claim the contacts this player gave, or note whose they are already.

        Reads the profile after the event (a late event that did not change the address
        changes nothing) and only keys the engine loaded: the owners of the others are
        unknown here, and guessing would write a claim that is not ours.
        """
        if not isinstance(self.event, PlayerRegistered | PlayerProfileUpdated):
            return
        profile = self.state.profile
        me = self.event.player_id
        shared = dict(profile.shared_contacts)
        for channel in CONTACT_CHANNELS:
            value = getattr(profile, channel)
            if value is None:
                shared.pop(channel, None)
                continue
            key = contact_key(channel, value)
            if key not in self.state.contact_owners:
                continue
            owner = self.state.contact_owners[key]
            if not owner or owner == me:
                if not owner:
                    self.state.contact_owners[key] = me
                    self.decision.contacts.append(
                        ContactClaim(key, channel, me, self.event.occurred_at)
                    )
                shared.pop(channel, None)
                continue
            if shared.get(channel) == owner:
                continue  # known already (the same address sent again)
            shared[channel] = owner
            self.trace(None, f"{channel} is shared with player {owner}, who registered it first")
            self.audit(
                "duplicate_contact",
                f"duplicate_contact: this {channel} belongs to player {owner} already",
                inputs={"channel": channel, "first_player": owner},
                key=channel,
            )
            self.decision.duplicates.append(
                DuplicateContact(key, channel, me, owner, self.event.occurred_at)
            )
        profile.shared_contacts = shared

    def contact_shared(self, rule_id: str, channel: str, path: str, template: str) -> bool:
        """A `once_per_contact` send on a contact another player had first: suppressed."""
        contact = MESSAGE_CONTACT.get(channel)
        owner = self.state.profile.shared_contacts.get(contact) if contact else None
        if owner is None:
            return False
        self.suppress(
            rule_id,
            f"send {template} by {channel}",
            f"duplicate_contact: once per contact, and player {owner} has this {contact}",
            path,
        )
        return True

    # --- player.merged ------------------------------------------------------------------

    def merge_in(self) -> None:
        """Fold the merged player (loaded by the engine as `merge_source`) into this one."""
        event = self.event
        if not isinstance(event, PlayerMerged):
            return
        source = self.state.merge_source
        self.state.merge_source = None
        other_id = event.merged_player_id
        if source is None:
            return  # the engine always loads it; a bare decide() has nothing to merge
        if source.merged_into is not None:
            self.trace(MERGE_RULE, f"{other_id} was merged into {source.merged_into} already")
            return
        into = self.state
        rank = self._tier_rank()
        self._resolve_duplicates(into.profile, source.profile)
        into.profile = merge_rules.profile(into.profile, source.profile)
        self._repoint_contacts(source.profile)
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
        out = self._merged_out(source, moved)
        if moved:
            into.points_balance += moved
            self.decision.ledger.append(
                LedgerEntry(
                    entry_id=self._ids(MERGE_RULE, "merge.in"),
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
        self._rearm_timers(source)
        self.ensure_expiry_timer()
        self.trace(
            MERGE_RULE,
            f"merged {other_id} in: {moved:+d} points (balance {into.points_balance}), "
            f"{len(source.badges)} badges, {len(source.timers)} timers",
        )
        self.audit(
            "merge",
            f"player {other_id} merged into {event.player_id}",
            MERGE_RULE,
            {"merged_player": other_id, "points": str(moved)},
        )
        self.decision.merged_source = out

    def _tier_rank(self) -> Callable[[str | None], int]:
        """Tier id -> its threshold in the current programme (-1: none, or unknown)."""
        program = self.config.game.tiers
        order = {t.tier_id: t.min_points for t in program.tiers} if program else {}
        return lambda tier: order.get(tier, -1) if tier is not None else -1

    def _resolve_duplicates(self, ours: Profile, theirs: Profile) -> None:
        """A duplicate between the two players is resolved by their merge: it leaves the list."""
        me, gone = self.event.player_id, self._merged_id()
        for profile, owner, player in ((ours, gone, me), (theirs, me, gone)):
            for channel in CONTACT_CHANNELS:
                value = getattr(profile, channel)
                if profile.shared_contacts.get(channel) == owner and isinstance(value, str):
                    key = contact_key(channel, value)
                    self.decision.resolved.append(
                        DuplicateContact(key, channel, player, owner, self.event.occurred_at)
                    )

    def _merged_id(self) -> str:
        assert isinstance(self.event, PlayerMerged)  # only merges get here
        return self.event.merged_player_id

    def _repoint_contacts(self, other: Profile) -> None:
        """The other's contacts are the merged player's now: its index items point here,
        and a contact this player shared with the other is no longer a duplicate."""
        me = self.event.player_id
        gone = self._merged_id()
        for channel in CONTACT_CHANNELS:
            value = getattr(other, channel)
            if value is None:
                continue
            key = contact_key(channel, value)
            if self.state.contact_owners.get(key) == gone:
                self.state.contact_owners[key] = me
                self.decision.contacts.append(
                    ContactClaim(key, channel, me, self.event.occurred_at, previous=gone)
                )
        profile = self.state.profile
        profile.shared_contacts = {
            channel: owner for channel, owner in profile.shared_contacts.items() if owner != gone
        }

    def _rearm_timers(self, source: PlayerState) -> None:
        """The other's pending timers go on here, unless this player has its own of that
        name; the points expiry timer is recomputed from the merged lots instead."""
        for timer, pending in sorted(source.timers.items()):
            if timer == EXPIRY_TIMER or timer in self.state.timers:
                self.trace(MERGE_RULE, f"timer {timer} of the merged player: not moved")
                continue
            self.arm_timer(
                pending.rule_id, timer, pending.due_at, f"merge.timer.{timer}", pending.payload
            )

    def _merged_out(self, source: PlayerState, moved: int) -> MergedSource:
        """The merged player's side: its balance out, its timers cancelled, an alias left."""
        event = self.event
        other_id = self._merged_id()

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
                    created_at=self.now,
                    effect=CancelTimer(
                        timer=timer,
                        schedule_name=pending.schedule_name,
                        generation=pending.generation,
                    ),
                )
            )
        retention = self.config.rg_thresholds.audit_retention_days
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
                retain_until=self.now + timedelta(days=retention),
            )
        )
        return out
