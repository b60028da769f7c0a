"""The player profile and how each event updates it (pure, event-time driven)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events.models import (
    AppMessageOpened,
    Channel,
    ConsentChanged,
    Consents,
    DepositFailed,
    DepositSucceeded,
    DeviceRegistered,
    DeviceRemoved,
    EventDetail,
    MessageBounced,
    MessageComplained,
    MessageOpened,
    PlayerLoggedIn,
    PlayerProfileUpdated,
    PlayerRegistered,
    RoundFinished,
    ShopCartAbandoned,
    ShopProductViewed,
    ShopPurchase,
    ShopWishlistChanged,
    SurveyAnswered,
)
from shared.domain.basics.model_update import updated
from shared.domain.players.consent import ConsentAnswer, consent_refusal, set_product_answers

MAX_RATED_SUBJECTS = 50
"""Subjects whose latest rating is remembered (the most recently rated ones)."""
MAX_DISLIKED_SUBJECTS = 20
MAX_DEVICES = 10
"""Push tokens kept per player (the most recently registered): old phones are forgotten."""


class SurveyAnswer(BaseModel):
    """The player's latest answer to one survey."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: str
    answer: str = Field(description='"up"/"down", "yes"/"no", or "1".."5" for a scale.')
    # The scale answer as a number too, so a condition can use numeric matching (<= 2).
    score: int | None = None
    subject: str | None = None
    answered_at: datetime


class SubjectRating(BaseModel):
    """The latest verdict on one rated subject."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    disliked: bool
    rated_at: datetime


class Device(BaseModel):
    """A push token of one of the player's devices (sensitive: never logged, masked on screen)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    token: str
    platform: str
    app_id: str | None = None
    registered_at: datetime


class OpenCart(BaseModel):
    """The latest abandoned shop cart, until a later purchase closes it."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    cart_id: str
    amount: Decimal
    currency: str
    items: int
    abandoned_at: datetime


class Profile(BaseModel):
    """What we know about a player, folded from their events.

    Conditions see these fields as `player.<name>` (plus `points_balance`).
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")

    player_id: str
    registered_at: datetime | None = None
    locale: str | None = None
    time_zone: str | None = None
    country: str | None = None
    first_name: str | None = None
    # Contact details are PII: kept encrypted at rest in the table, never logged.
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    consents: Consents = Field(default_factory=Consents)
    # Event time each channel's consent was last set, so a late registration or consent
    # change cannot put back an older answer (docs/design.md, "Ordering").
    consents_set_at: dict[str, datetime] = Field(default_factory=dict)
    # Where each channel's latest answer came from (signup_form, preference_centre...).
    consent_sources: dict[str, str] = Field(default_factory=dict)
    # product -> channel -> answer (UKGC SR 5.1.12); how they combine:
    # shared/domain/players/consent.py.
    product_consents: dict[str, dict[str, ConsentAnswer]] = Field(default_factory=dict)
    # Push tokens, oldest registration first; one entry per token.
    devices: list[Device] = Field(default_factory=list)
    # Latest player.profile_updated; per-field event times are in details_set_at.
    profile_updated_at: datetime | None = None
    # Event time each registration detail was last set, so a late event (a registration
    # delivered after an update) cannot put back an older value.
    details_set_at: dict[str, datetime] = Field(default_factory=dict)

    # Latest player-initiated event of any kind (lifecycle stage and RFM recency read it).
    last_activity_at: datetime | None = None

    last_login_at: datetime | None = None
    login_count: int = 0

    deposit_count: int = 0
    deposit_totals: dict[str, Decimal] = Field(default_factory=dict)
    last_deposit_at: datetime | None = None
    failed_deposit_count: int = 0
    failed_deposit_streak: int = 0

    rounds_played: int = 0
    wins: int = 0
    losses: int = 0
    win_streak: int = 0
    loss_streak: int = 0
    last_round_at: datetime | None = None
    stake_totals: dict[str, Decimal] = Field(default_factory=dict)
    category_rounds: dict[str, int] = Field(default_factory=dict)
    favourite_category: str | None = None

    purchase_count: int = 0
    purchase_totals: dict[str, Decimal] = Field(default_factory=dict)
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    carts_abandoned: int = 0
    last_cart_abandoned_at: datetime | None = None
    open_cart: OpenCart | None = None

    surveys: dict[str, SurveyAnswer] = Field(default_factory=dict)
    last_survey: str | None = None
    subject_ratings: dict[str, SubjectRating] = Field(default_factory=dict)
    # Subjects whose latest rating was negative, most recently rated last; a pattern such as
    # {"player": {"disliked_subjects": ["reward:free-spins-10"]}} matches any element.
    disliked_subjects: list[str] = Field(default_factory=list)

    # Delivery feedback: when each template was last opened (so a cascade or a rule can
    # ask "opened the welcome email?"), and bounces counted for deliverability.
    messages_opened: dict[str, datetime] = Field(default_factory=dict)
    last_message_opened_at: datetime | None = None
    email_bounces: int = 0

    # Contacts ("email", "phone") this player gave that another player registered first:
    # channel -> that first player's id (docs/identity.md). A send marked
    # `once_per_contact` is suppressed on them; conditions can test
    # {"player": {"shared_contacts": {"email": [{"exists": true}]}}}.
    shared_contacts: dict[str, str] = Field(default_factory=dict)

    def consent_refusal(self, channel: str, product: str | None) -> str | None:
        """Why a marketing message for `product` may not go by `channel` (None: it may).
        The in-app inbox is part of the product the player opened: no consent needed."""
        if channel == "inbox":
            return None
        return consent_refusal(
            bool(getattr(self.consents, channel, False)),
            self.consents_set_at.get(channel),
            self.product_consents,
            channel,
            product,
        )


def _add(totals: dict[str, Decimal], currency: str, amount: Decimal) -> dict[str, Decimal]:
    return {**totals, currency: totals.get(currency, Decimal(0)) + amount}


def _set_consents(
    profile: Profile, answers: dict[str, bool], at: datetime, source: str | None = None
) -> dict[str, Any]:
    """Apply each channel's answer unless a later one (by event time) was already applied."""
    fresh = {
        channel: granted
        for channel, granted in answers.items()
        if channel not in profile.consents_set_at or at >= profile.consents_set_at[channel]
    }
    if not fresh:
        return {}
    changes: dict[str, Any] = {
        "consents": profile.consents.model_copy(update=fresh),
        "consents_set_at": {**profile.consents_set_at, **dict.fromkeys(fresh, at)},
    }
    if source is not None:
        changes["consent_sources"] = {**profile.consent_sources, **dict.fromkeys(fresh, source)}
    else:
        # An answer without a source replaces the channel's old source: it is not known.
        kept = {c: s for c, s in profile.consent_sources.items() if c not in fresh}
        if kept != profile.consent_sources:
            changes["consent_sources"] = kept
    return changes


def _withdraw_email(profile: Profile, at: datetime, source: str) -> dict[str, Any]:
    """Email consent off whatever was answered before or after: the address itself failed
    (or its owner said spam), so no product may mail it either.

    Stamped no earlier than the newest email answer, per-product ones included, and the
    per-product email answers are cleared: a product "yes" given after the bounce's event
    time (or on a tie, where the product's own answer would win) must not outrank it. A
    per-product opt-in that arrives later than the stamp still opens that product, as any
    later answer does (shared/domain/players/consent.py)."""
    stamp = at
    held = profile.consents_set_at.get("email")
    if held is not None and held > stamp:
        stamp = held
    cleared: dict[str, dict[str, ConsentAnswer]] = {}
    for product, channels in profile.product_consents.items():
        answer = channels.get("email")
        if answer is not None and answer.at > stamp:
            stamp = answer.at
        rest = {c: a for c, a in channels.items() if c != "email"}
        if rest:
            cleared[product] = rest
    changes: dict[str, Any] = {
        "consents": profile.consents.model_copy(update={"email": False}),
        "consents_set_at": {**profile.consents_set_at, "email": stamp},
        "consent_sources": {**profile.consent_sources, "email": source},
    }
    if cleared != profile.product_consents:
        changes["product_consents"] = cleared
    return changes


def _set_product_consents(
    profile: Profile,
    answers: Mapping[str, Mapping[Channel, bool]],
    at: datetime,
    source: str | None,
) -> dict[str, Any]:
    merged = set_product_answers(profile.product_consents, answers, at, source)
    return {} if merged is None else {"product_consents": merged}


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _favourite(category_rounds: dict[str, int]) -> str | None:
    if not category_rounds:
        return None
    # Ties break alphabetically so the answer does not depend on dict order.
    return min(category_rounds, key=lambda c: (-category_rounds[c], c))


def _favourite_after(known: str | None, category_rounds: dict[str, int], played: str) -> str:
    """_favourite(category_rounds) after one round of `played`: only its count grew, so the
    favourite is the one known before or `played` (the full scan once, for an old state)."""
    if known is None or known not in category_rounds:
        return _favourite(category_rounds) or played
    mine, theirs = category_rounds[played], category_rounds[known]
    return played if mine > theirs or (mine == theirs and played < known) else known


def apply_event(profile: Profile, event: EventDetail, in_place: bool = False) -> Profile:
    """Return the profile after `event` (the input is not modified, unless `in_place`: then
    it is changed and returned, for a decision made in place).

    Streaks follow event time: an event older than the latest one of its kind
    (a late arrival) still counts in totals but does not rewrite a streak, because
    the events that came after it in real life have already been applied.
    """
    changes: dict[str, Any] = {}
    match event:  # rounds first: most events are rounds
        case RoundFinished():
            category = event.category
            category_rounds = {
                **profile.category_rounds,
                category: profile.category_rounds.get(category, 0) + 1,
            }
            outcome = event.outcome  # a computed property: asked once, not four times
            at, last_round = event.occurred_at, profile.last_round_at
            changes = {
                "rounds_played": profile.rounds_played + 1,
                "wins": profile.wins + (outcome == "win"),
                "losses": profile.losses + (outcome == "loss"),
                "stake_totals": _add(profile.stake_totals, event.currency, event.stake),
                "category_rounds": category_rounds,
                "favourite_category": _favourite_after(
                    profile.favourite_category, category_rounds, category
                ),
                "last_round_at": at if last_round is None or at > last_round else last_round,
            }
            if last_round is None or at >= last_round:
                if outcome == "win":
                    changes["win_streak"], changes["loss_streak"] = profile.win_streak + 1, 0
                elif outcome == "loss":
                    changes["loss_streak"], changes["win_streak"] = profile.loss_streak + 1, 0
                # A push (stake returned) neither extends nor breaks a streak.
        case PlayerRegistered():
            details = {
                "locale": event.locale,
                "time_zone": event.time_zone,
                "country": event.country,
                "first_name": event.first_name,
                "email": event.email,
                "phone": event.phone,
                "birth_date": event.birth_date,
            }
            changes = {
                "registered_at": event.occurred_at,
                **_set_consents(
                    profile, event.consents.model_dump(), event.occurred_at, event.consent_source
                ),
                **_set_product_consents(
                    profile, event.products, event.occurred_at, event.consent_source
                ),
                **_set_details(profile, details, event.occurred_at),
            }
        case PlayerProfileUpdated():
            changes = {
                "profile_updated_at": _latest(profile.profile_updated_at, event.occurred_at),
                **_set_details(profile, event.updates(), event.occurred_at),
            }
        case PlayerLoggedIn():
            changes = {
                "last_login_at": _latest(profile.last_login_at, event.occurred_at),
                "login_count": profile.login_count + 1,
            }
        case DepositSucceeded():
            is_latest = (
                profile.last_deposit_at is None or event.occurred_at >= profile.last_deposit_at
            )
            changes = {
                "deposit_count": profile.deposit_count + 1,
                "deposit_totals": _add(profile.deposit_totals, event.currency, event.amount),
                "last_deposit_at": _latest(profile.last_deposit_at, event.occurred_at),
                # A success ends a run of failures, unless it is older than the latest deposit.
                "failed_deposit_streak": 0 if is_latest else profile.failed_deposit_streak,
            }
        case DepositFailed():
            is_latest = (
                profile.last_deposit_at is None or event.occurred_at >= profile.last_deposit_at
            )
            changes = {
                "failed_deposit_count": profile.failed_deposit_count + 1,
                "failed_deposit_streak": profile.failed_deposit_streak + (1 if is_latest else 0),
                "last_deposit_at": _latest(profile.last_deposit_at, event.occurred_at),
            }
        case ConsentChanged():
            if event.product is None:
                changes = _set_consents(
                    profile, {event.channel: event.granted}, event.occurred_at, event.source
                )
            else:
                changes = _set_product_consents(
                    profile,
                    {event.product: {event.channel: event.granted}},
                    event.occurred_at,
                    event.source,
                )
        case ShopPurchase():
            cart = profile.open_cart
            changes = {
                "purchase_count": profile.purchase_count + 1,
                "purchase_totals": _add(profile.purchase_totals, event.currency, event.amount),
                "first_purchase_at": _earliest(profile.first_purchase_at, event.occurred_at),
                "last_purchase_at": _latest(profile.last_purchase_at, event.occurred_at),
                # Paying after leaving a cart closes it; a late purchase from before it does not.
                "open_cart": None if cart and event.occurred_at >= cart.abandoned_at else cart,
            }
        case ShopCartAbandoned():
            changes = {
                "carts_abandoned": profile.carts_abandoned + 1,
                "last_cart_abandoned_at": _latest(
                    profile.last_cart_abandoned_at, event.occurred_at
                ),
            }
            is_latest = (
                profile.last_cart_abandoned_at is None
                or event.occurred_at >= profile.last_cart_abandoned_at
            )
            # A cart left before the latest purchase was (as far as we know) paid for since.
            paid_since = (
                profile.last_purchase_at is not None
                and profile.last_purchase_at >= event.occurred_at
            )
            if is_latest and not paid_since:
                changes["open_cart"] = OpenCart(
                    cart_id=event.cart_id,
                    amount=event.amount,
                    currency=event.currency,
                    items=event.items,
                    abandoned_at=event.occurred_at,
                )
        case SurveyAnswered():
            changes = _survey(profile, event)
        case DeviceRegistered():
            changes = _register_device(profile, event)
        case DeviceRemoved():
            changes = {"devices": [d for d in profile.devices if d.token != event.device_token]}
        case MessageOpened() | AppMessageOpened():
            opened = profile.messages_opened.get(event.template)
            changes = {
                "messages_opened": {
                    **profile.messages_opened,
                    event.template: _latest(opened, event.occurred_at),
                },
                "last_message_opened_at": _latest(
                    profile.last_message_opened_at, event.occurred_at
                ),
            }
        case MessageBounced():
            changes = {"email_bounces": profile.email_bounces + 1}
            # A hard bounce means the address does not exist: mailing it again hurts the
            # sender's reputation for every player. A soft bounce (full inbox) may pass.
            if event.bounce_type == "permanent":
                changes |= _withdraw_email(profile, event.occurred_at, "hard_bounce")
        case MessageComplained():
            # "This is spam" is the strongest unsubscribe there is.
            changes = _withdraw_email(profile, event.occurred_at, "complaint")
        case _:
            return profile
    if isinstance(event, _PLAYER_ACTIONS):
        changes["last_activity_at"] = _latest(profile.last_activity_at, event.occurred_at)
    return updated(profile, changes, in_place)


# Events the player causes (a failed deposit is still the player trying). Consent and detail
# changes are left out: an operator's back office or an unsubscribe link can send those.
_PLAYER_ACTIONS = (
    PlayerRegistered,
    PlayerLoggedIn,
    DepositSucceeded,
    DepositFailed,
    RoundFinished,
    ShopPurchase,
    ShopCartAbandoned,
    SurveyAnswered,
    ShopProductViewed,
    ShopWishlistChanged,
)


def _set_details(profile: Profile, values: dict[str, str | None], when: datetime) -> dict[str, Any]:
    """Set registration details, per field latest event time wins (None erases)."""
    set_at = dict(profile.details_set_at)
    changes: dict[str, Any] = {}
    for name, value in values.items():
        previous = set_at.get(name)
        if previous is not None and when < previous:
            continue  # a newer event already set this field
        changes[name] = value
        set_at[name] = when
    return {**changes, "details_set_at": set_at}


def _survey(profile: Profile, event: SurveyAnswered) -> dict[str, Any]:
    when = event.occurred_at
    changes: dict[str, Any] = {}
    previous = profile.surveys.get(event.survey_id)
    if previous is None or when >= previous.answered_at:
        answer = SurveyAnswer(
            kind=event.kind,
            answer=str(event.answer),
            score=event.answer if isinstance(event.answer, int) else None,
            subject=event.subject,
            answered_at=when,
        )
        changes["surveys"] = {**profile.surveys, event.survey_id: answer}
    last = profile.surveys.get(profile.last_survey) if profile.last_survey else None
    if last is None or when >= last.answered_at:
        changes["last_survey"] = event.survey_id
    rated = profile.subject_ratings.get(event.subject) if event.subject else None
    if event.subject and (rated is None or when >= rated.rated_at):
        ratings = {
            **profile.subject_ratings,
            event.subject: SubjectRating(disliked=event.is_negative, rated_at=when),
        }
        # Newest first; the oldest ratings are forgotten so the profile stays small.
        newest = sorted(ratings.items(), key=lambda kv: (kv[1].rated_at, kv[0]), reverse=True)
        kept = newest[:MAX_RATED_SUBJECTS]
        disliked = [subject for subject, rating in reversed(kept) if rating.disliked]
        changes["subject_ratings"] = dict(kept)
        changes["disliked_subjects"] = disliked[-MAX_DISLIKED_SUBJECTS:]
    return changes


def _register_device(profile: Profile, event: DeviceRegistered) -> dict[str, Any]:
    current = next((d for d in profile.devices if d.token == event.device_token), None)
    if current is not None and event.occurred_at < current.registered_at:
        return {}  # a late, older registration of a token we already know says nothing new
    device = Device(
        token=event.device_token,
        platform=event.platform,
        app_id=event.app_id,
        registered_at=event.occurred_at,
    )
    others = [d for d in profile.devices if d.token != event.device_token]
    devices = sorted([*others, device], key=lambda d: d.registered_at)
    return {"devices": devices[-MAX_DEVICES:]}
