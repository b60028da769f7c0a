"""How two players' facts combine when one is merged into the other (docs/identity.md).

Pure functions over the parts of a PlayerState. The surviving player is `into`, the one
merged away is `other`. The guiding rule: the merged player must be treated at least as
carefully as the stricter of the two was (an opt-out or an exclusion on either side stays),
and must not earn twice what either already had (limits, badges, missions count both).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from events.models import Consents
from shared.domain.game.game_rewards import Rewards
from shared.domain.game.missions import MissionProgress
from shared.domain.game.points import Lot, Wallet
from shared.domain.game.points import _order as _lot_order
from shared.domain.game.tiers import TierStatus
from shared.domain.messaging.delivery import DeliveryLog
from shared.domain.players.consent import merge_product_consents
from shared.domain.players.profile import (
    MAX_DEVICES,
    MAX_RATED_SUBJECTS,
    Profile,
    _favourite,
)
from shared.domain.players.rg import RgStatus


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _sum_totals(a: dict[str, Decimal], b: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: a.get(k, Decimal(0)) + b.get(k, Decimal(0)) for k in sorted({*a, *b})}


def _sum_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in sorted({*a, *b})}


def _latest_times(a: dict[str, datetime], b: dict[str, datetime]) -> dict[str, datetime]:
    return {k: max(t for t in (a.get(k), b.get(k)) if t is not None) for k in sorted({*a, *b})}


def _keep(into: Any, other: Any) -> Any:
    return into


def _fill(into: Any, other: Any) -> Any:
    return into if into is not None else other


def _add(into: int, other: int) -> int:
    return into + other


def consents(into: Consents, other: Consents) -> Consents:
    """Per channel, consent only when both sides consented: an opt-out on either stays."""
    return Consents(
        email=into.email and other.email,
        sms=into.sms and other.sms,
        push=into.push and other.push,
    )


# How each profile field merges. Every field of Profile is listed (a test holds this), so a
# new field cannot be merged by accident.
_PROFILE_RULES: dict[str, Callable[[Any, Any], Any]] = {
    "player_id": _keep,
    "registered_at": _earliest,
    # Registration details: the survivor's, or the other's where the survivor has none.
    "locale": _fill,
    "time_zone": _fill,
    "country": _fill,
    "first_name": _fill,
    "email": _fill,
    "phone": _fill,
    "birth_date": _fill,
    "consents": consents,
    # When each channel's consent was last set (a late event cannot undo a newer answer):
    # the later of the two sides, since the merged answer is as new as either.
    "consents_set_at": lambda a, b: {
        k: max(t for t in (a.get(k), b.get(k)) if t) for k in {*a, *b}
    },
    # The survivor's source for a channel it answered, else the other's.
    "consent_sources": lambda a, b: {**b, **a},
    "product_consents": merge_product_consents,
    "devices": lambda a, b: sorted(
        {d.token: d for d in [*b, *a]}.values(), key=lambda d: d.registered_at
    )[-MAX_DEVICES:],
    "profile_updated_at": _latest,
    # When each detail was set: the survivor's, the other's for details filled from it.
    "details_set_at": lambda a, b: {**b, **a},
    "last_activity_at": _latest,
    "last_login_at": _latest,
    "login_count": _add,
    "deposit_count": _add,
    "deposit_totals": _sum_totals,
    "last_deposit_at": _latest,
    "failed_deposit_count": _add,
    # Streaks are runs of one account's recent events: the survivor's run goes on.
    "failed_deposit_streak": _keep,
    "rounds_played": _add,
    "wins": _add,
    "losses": _add,
    "win_streak": _keep,
    "loss_streak": _keep,
    "last_round_at": _latest,
    "stake_totals": _sum_totals,
    "category_rounds": _sum_counts,
    "favourite_category": _keep,  # recomputed from the summed category_rounds below
    "purchase_count": _add,
    "purchase_totals": _sum_totals,
    "first_purchase_at": _earliest,
    "last_purchase_at": _latest,
    "carts_abandoned": _add,
    "last_cart_abandoned_at": _latest,
    "open_cart": lambda a, b: max(
        (c for c in (a, b) if c is not None), key=lambda c: c.abandoned_at, default=None
    ),
    "surveys": lambda a, b: {
        k: max((x for x in (a.get(k), b.get(k)) if x is not None), key=lambda x: x.answered_at)
        for k in sorted({*a, *b})
    },
    "last_survey": _fill,
    "subject_ratings": lambda a, b: dict(
        sorted(
            {
                k: max((x for x in (a.get(k), b.get(k)) if x is not None), key=lambda x: x.rated_at)
                for k in {*a, *b}
            }.items(),
            key=lambda kv: kv[1].rated_at,
        )[-MAX_RATED_SUBJECTS:]
    ),
    "disliked_subjects": _keep,  # recomputed from the merged ratings below
    "messages_opened": _latest_times,
    "last_message_opened_at": _latest,
    "email_bounces": _add,
    "shared_contacts": _keep,  # recomputed below and by the merge (contacts moved over)
}


def profile(into: Profile, other: Profile) -> Profile:
    """The survivor's profile with the other's history folded in (see _PROFILE_RULES)."""
    values = {
        name: rule(getattr(into, name), getattr(other, name))
        for name, rule in _PROFILE_RULES.items()
    }
    merged = Profile.model_validate(values)
    # A contact taken from the other side brings along whom it is shared with.
    merged.shared_contacts = {
        **{c: p for c, p in other.shared_contacts.items() if getattr(into, c, None) is None},
        **into.shared_contacts,
    }
    merged.favourite_category = _favourite(merged.category_rounds)
    newest_first = sorted(merged.subject_ratings.items(), key=lambda kv: kv[1].rated_at)
    merged.disliked_subjects = [s for s, rating in newest_first if rating.disliked]
    return merged


def profile_fields_covered() -> set[str]:
    """The Profile fields the merge has a rule for (a test compares with the model)."""
    return set(_PROFILE_RULES)


def rg(into: RgStatus, other: RgStatus) -> RgStatus:
    """Exclusions, flags and reached limits of both sides apply to the merged player."""
    exclusions = {(e.kind, e.since, e.event_id): e for e in [*into.exclusions, *other.exclusions]}
    return RgStatus(
        exclusions=sorted(exclusions.values(), key=lambda e: e.since),
        # Limits are the operator's (shown, not enforced here): the survivor's per kind.
        limits={**other.limits, **into.limits},
        limit_reached_at=_latest_times(into.limit_reached_at, other.limit_reached_at),
        flags={
            name: max(
                (f for f in (into.flags.get(name), other.flags.get(name)) if f is not None),
                key=lambda f: f.stands_until,
            )
            for name in sorted({*into.flags, *other.flags})
        },
        recent_deposits=sorted({*into.recent_deposits, *other.recent_deposits}),
        last_loss_at=_latest(into.last_loss_at, other.last_loss_at),
        session_start=into.session_start,
        session_last=into.session_last,
        daily_net={
            day: _sum_totals(into.daily_net.get(day, {}), other.daily_net.get(day, {}))
            for day in sorted({*into.daily_net, *other.daily_net})
        },
        night_rounds=_sum_counts(into.night_rounds, other.night_rounds),
    )


def wallet(into: Wallet, other: Wallet) -> Wallet:
    """Both sides' lots (each keeps its expiry; one lot per expiry) and both debts."""
    by_expiry: dict[datetime | None, int] = {}
    for lot in [*into.lots, *other.lots]:
        by_expiry[lot.expires_at] = by_expiry.get(lot.expires_at, 0) + lot.remaining
    lots = sorted(
        (Lot(expires_at=when, remaining=n) for when, n in by_expiry.items()), key=_lot_order
    )
    return Wallet(lots=lots, owed=into.owed + other.owed)


def tier(into: TierStatus, other: TierStatus, rank: Callable[[str | None], int]) -> TierStatus:
    """Qualifying points of both add up; the higher tier held stays (with its dates)."""
    higher = other if rank(other.tier) > rank(into.tier) else into
    return higher.model_copy(update={"earned": _sum_counts(into.earned, other.earned)})


def missions(
    into: dict[str, MissionProgress], other: dict[str, MissionProgress]
) -> dict[str, MissionProgress]:
    """Per mission, the side with more completions (the survivor's on a tie)."""
    merged = dict(other)
    for mission_id, progress in into.items():
        theirs = merged.get(mission_id)
        if theirs is None or progress.completions >= theirs.completions:
            merged[mission_id] = progress
    return merged


def rewards(into: Rewards, other: Rewards) -> Rewards:
    """Spins held on both sides stay usable; store purchases add up."""
    spins = {
        wheel: sorted(
            {
                g.grant_id: g for g in [*into.spins.get(wheel, []), *other.spins.get(wheel, [])]
            }.values(),
            key=lambda g: g.granted_at,
        )
        for wheel in sorted({*into.spins, *other.spins})
    }
    return Rewards(spins=spins, bought=_sum_counts(into.bought, other.bought))


def deliveries(into: DeliveryLog, other: DeliveryLog) -> DeliveryLog:
    """Both sides' recent sends count toward caps and the duplicate window."""
    return DeliveryLog(sent=sorted([*into.sent, *other.sent], key=lambda r: r.at))


def fires(
    into: dict[str, list[datetime]], other: dict[str, list[datetime]]
) -> dict[str, list[datetime]]:
    """A rule's firings on both sides count toward its limit (once ever stays once)."""
    return {r: sorted({*into.get(r, []), *other.get(r, [])}) for r in sorted({*into, *other})}


def earliest_times(into: dict[str, datetime], other: dict[str, datetime]) -> dict[str, datetime]:
    """Badge id -> the first grant on either side."""
    return {
        k: min(t for t in (into.get(k), other.get(k)) if t is not None)
        for k in sorted({*into, *other})
    }
