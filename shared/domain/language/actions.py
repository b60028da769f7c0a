"""The action language of rules: what a rule (or a variant, a timer, a prize) may do.

Kept apart from `rules.py` so the models that hold actions (experiment variants, mission
rewards, board prizes) can use them without importing the rule model that holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from events.models import CATALOG_NEWS, DETAIL_MODELS
from shared.domain.basics.durations import IsoDuration
from shared.domain.language.patterns import compile_pattern

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


def _known_detail_types(value: list[str]) -> list[str]:
    catalog = [v for v in value if v in CATALOG_NEWS]
    if catalog:
        # A catalog event is about a product, not a player: rules see its fan-out.
        instead = [CATALOG_NEWS[v].detail_type for v in catalog]
        raise ValueError(
            f"{catalog} is a catalog event (no player); rules listen to its per-player "
            f"fan-out to interested players: {instead}"
        )
    unknown = [v for v in value if v not in DETAIL_MODELS]
    if unknown:
        raise ValueError(f"unknown detail-type {unknown}; known: {sorted(DETAIL_MODELS)}")
    return value


DetailTypes = Annotated[
    list[str], Field(min_length=1, max_length=20), AfterValidator(_known_detail_types)
]
"""The detail-types a rule, mission step or board listens to (contract types only)."""
TimerName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,47}$")]
AMOUNT_FIELDS = ("amount", "stake", "payout")
MAX_NESTING = 3


def check_pattern(value: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    """A condition on {"event", "player"}: refused with the exact path inside it if invalid."""
    if value is None:
        return None
    unknown = sorted(set(value) - {"event", "player", "$or"})
    if unknown:
        raise ValueError(
            f"{where} may only test 'event' and 'player' (or use '$or'); found {unknown}"
        )
    # Raises PatternError (a ValueError) naming the exact path inside the pattern.
    compile_pattern(value, path=where)
    return value


def _check_match(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return check_pattern(value, "match")


Condition = Annotated[dict[str, Any] | None, AfterValidator(_check_match)]
"""A `match` condition in the EventBridge pattern language, validated with its path."""


class AwardPoints(BaseModel):
    """Fixed points, or `rate` points per unit of an amount field (rounded down)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    points: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    rate: Annotated[Decimal, Field(gt=0, le=1000)] | None = None
    of: Literal["amount", "stake", "payout"] | None = None
    reason: Annotated[str, Field(max_length=120)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AwardPoints:
        fixed = self.points is not None
        proportional = self.rate is not None or self.of is not None
        if fixed == proportional:
            raise ValueError("give either 'points', or both 'rate' and 'of'")
        if proportional and (self.rate is None or self.of is None):
            raise ValueError("'rate' and 'of' go together")
        return self


class Send(BaseModel):
    """Send a message from a template by email, SMS, push or the in-app inbox."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    template: Slug
    # inbox: an in-app message kept per player (no address, no channel consent needed).
    channel: Literal["email", "sms", "push", "inbox"] = "email"
    # A marketing message over a frequency cap is dropped, or deferred until the cap resets.
    on_cap: Literal["drop", "defer"] = "drop"
    # Once per contact: not sent to a player whose email (sms: phone) another player
    # registered first, e.g. a welcome (suppressed as duplicate_contact; docs/identity.md).
    once_per_contact: bool = False


class Cascade(BaseModel):
    """Try channels in order: the first with consent and an address gets the message; if it
    is not opened within `wait`, the next one does ("push first; if not opened in 2 h,
    email"). A channel without consent is skipped, not failed."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    template: Slug
    channels: list[Literal["email", "sms", "push", "inbox"]] = Field(min_length=2, max_length=4)
    wait: IsoDuration

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each channel at most once")
        return value

    @field_validator("wait")
    @classmethod
    def _sane_wait(cls, value: Any) -> Any:
        if not timedelta(minutes=5) <= value <= timedelta(days=7):
            raise ValueError("wait between PT5M and P7D")
        return value


class Schedule(BaseModel):
    """Arm a named per-player timer; when it fires, `if` is re-checked, then `then` runs."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, populate_by_name=True)

    timer: TimerName
    after: IsoDuration | None = None
    # Or a calendar moment in the player's own time zone, e.g. the next birthday at 09:00;
    # "predicted_restock": the day the player will likely buy again (their own repurchase
    # interval of the event's products, else of anything they bought), at local_time.
    at_next: Literal["birthday", "registration_anniversary", "predicted_restock"] | None = None
    local_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:00"
    # After firing, arm again: `after` later, or at the next calendar occurrence.
    repeat: bool = False
    if_: dict[str, Any] | None = Field(default=None, alias="if")
    then: list[Action] = Field(min_length=1, max_length=10)
    # "N after the player's last X": the timer is armed once and, when it fires early
    # because X moved on, re-arms itself at X + after. No re-arm per login is needed.
    slide_with: (
        Literal[
            "last_activity_at",
            "last_login_at",
            "last_deposit_at",
            "last_round_at",
            "last_purchase_at",
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _when(self) -> Schedule:
        if (self.after is None) == (self.at_next is None):
            raise ValueError("give either 'after' (a duration) or 'at_next' (a calendar moment)")
        if self.slide_with is not None and self.after is None:
            raise ValueError("'slide_with' needs 'after'")
        return self

    @field_validator("if_")
    @classmethod
    def _valid_if(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_pattern(value, "if")

    @field_validator("after")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value is not None and value.total_seconds() < 60:
            raise ValueError("a timer must be at least PT1M away")
        return value


class OpenOffer(BaseModel):
    """Open a time-limited window in which points are multiplied (e.g. double points 2 h)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, populate_by_name=True)

    offer: Slug
    multiplier: Annotated[Decimal, Field(gt=1, le=10)]
    for_: IsoDuration = Field(alias="for")

    @field_validator("for_")
    @classmethod
    def _sane_window(cls, value: Any) -> Any:
        if not timedelta(minutes=1) <= value <= timedelta(days=30):
            raise ValueError("an offer window lasts between PT1M and P30D")
        return value


class CancelTimer(BaseModel):
    """Disarm a named timer of this player, if one is pending."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    timer: TimerName


class GrantBadge(BaseModel):
    """Grant a badge from the badge catalogue; a player holds each badge at most once."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    badge: Slug


class GrantSpins(BaseModel):
    """Give the player `count` spins of a wheel, each usable once, lapsing after `expires_after`."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    wheel: Slug
    count: Annotated[int, Field(ge=1, le=100)] = 1
    expires_after: IsoDuration = timedelta(days=7)

    @field_validator("expires_after")
    @classmethod
    def _sane_expiry(cls, value: Any) -> Any:
        if not timedelta(hours=1) <= value <= timedelta(days=365):
            raise ValueError("spins lapse between PT1H and P365D after they are granted")
        return value


class JoinMission(BaseModel):
    """Opt the player in to an opt-in mission (joining twice changes nothing)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    mission: Slug


def check_reward_actions(actions: Iterable[Any], what: str, where: str = "") -> None:
    """Missions' rewards and boards' prizes pay fixed things: points, a badge, spins, a send."""
    for i, action in enumerate(actions):
        if not isinstance(action, REWARD_ACTIONS):
            raise ValueError(
                f"{where}{i}: a {what} is award_points, grant_badge, grant_spins or send"
            )
        if isinstance(action, AwardPointsAction) and action.award_points.points is None:
            raise ValueError(f"{where}{i}.award_points: a {what} pays fixed 'points'")


ACTION_KINDS = (
    "award_points",
    "send",
    "schedule",
    "cancel_timer",
    "open_offer",
    "cascade",
    "grant_badge",
    "grant_spins",
    "join_mission",
)


def _action_tag(value: Any) -> str | None:
    if isinstance(value, Mapping) and len(value) == 1:
        key = next(iter(value))
        return key if key in ACTION_KINDS else None
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


class AwardPointsAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    award_points: AwardPoints


class SendAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    send: Send


class ScheduleAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    schedule: Schedule


class CancelTimerAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    cancel_timer: CancelTimer


class OpenOfferAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    open_offer: OpenOffer


class CascadeAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    cascade: Cascade


class GrantBadgeAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    grant_badge: GrantBadge


class GrantSpinsAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    grant_spins: GrantSpins


class JoinMissionAction(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    join_mission: JoinMission


Action = Annotated[
    Annotated[AwardPointsAction, Tag("award_points")]
    | Annotated[SendAction, Tag("send")]
    | Annotated[ScheduleAction, Tag("schedule")]
    | Annotated[CancelTimerAction, Tag("cancel_timer")]
    | Annotated[OpenOfferAction, Tag("open_offer")]
    | Annotated[CascadeAction, Tag("cascade")]
    | Annotated[GrantBadgeAction, Tag("grant_badge")]
    | Annotated[GrantSpinsAction, Tag("grant_spins")]
    | Annotated[JoinMissionAction, Tag("join_mission")],
    Discriminator(
        _action_tag,
        custom_error_type="unknown_action",
        custom_error_message=(
            "each action is an object with exactly one key, one of: " + ", ".join(ACTION_KINDS)
        ),
    ),
]
Schedule.model_rebuild()
REWARD_ACTIONS = (AwardPointsAction, GrantBadgeAction, GrantSpinsAction, SendAction)
