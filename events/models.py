"""Event contract v1: the pydantic models are the source of truth.

Every event on the engage bus is an EventBridge envelope (`source`, `detail-type`, `detail`).
The JSON Schemas under `events/schemas/` are generated from these models
(`python -m events.generate_schemas`) and checked in; a test fails when they drift.
Money is `Decimal` end to end: JSON numbers are parsed exactly, never through float.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.config import JsonDict

SCHEMA_VERSION = "1"

PlayerId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Operator's stable player id (no PII: not an email or phone).",
    ),
]
EventId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=256,
        pattern=r"^[\x21-\x7e]+$",
        description="Idempotency key: the same event_id is applied at most once per player.",
    ),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6, description="Exact decimal amount."),
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=18, decimal_places=6, description="Exact decimal amount, > 0."),
]
Channel = Literal["email", "sms", "push"]

ConsentProduct = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_-]{0,39}$",
        description="The operator's product a message markets, e.g. casino, betting, bingo.",
    ),
]
ConsentSource = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Where the answer was collected, e.g. signup_form, preference_centre.",
    ),
]


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Kyiv."),
    AfterValidator(_check_time_zone),
]
Locale = Annotated[
    str,
    Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP 47 tag, e.g. uk-UA."),
]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _check_email(value: str) -> str:
    value = value.strip()  # a stray space from a form is not a different address
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


Email = Annotated[str, AfterValidator(_check_email)]
Phone = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164 number.")]


def _no_epoch_numbers(value: Any) -> Any:
    # pydantic would read 1700000000 as a Unix time; the contract is ISO 8601 with an offset.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ValueError("must be an ISO 8601 string with a UTC offset, not a number")
    return value


EventTime = Annotated[
    AwareDatetime,
    BeforeValidator(_no_epoch_numbers),
    Field(description="When it happened, ISO 8601 with a UTC offset (no naive times)."),
]


def _check_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {value!r}") from exc
    return value


class EventDetail(BaseModel):
    """Fields every detail carries."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    detail_type: ClassVar[str]
    # Optional fields whose bad value is dropped, with its reason, instead of refusing the
    # whole event (see parse_event): a registration must not be lost over a bad name.
    salvageable: ClassVar[frozenset[str]] = frozenset()
    # Whether an unknown field is dropped too (instead of refusing the event).
    salvage_unknown: ClassVar[bool] = False

    player_id: PlayerId
    event_id: EventId
    occurred_at: EventTime

    # Fields parse_event dropped (field -> why) live in the model's private slot, set only
    # on a salvaged event, never part of the dump. Not a declared PrivateAttr: pydantic
    # would then run a Python post-init on every event built (a third of validating a
    # round, paid again for every timer and derived event a replay makes).

    @property
    def dropped_fields(self) -> dict[str, str]:
        """Fields parse_event dropped from this event, each with the reason (no values)."""
        private = self.__pydantic_private__
        return dict(private["_dropped"]) if private else {}

    def value_of(self, name: str) -> Any:
        """The field (or derived property) `name` of this event, None if it has none.

        Same answer as `getattr(event, name, None)`, without pydantic's slow path for a
        name the model does not have (the decision asks "amount?" of every round).
        """
        kind = type(self)
        if name in kind.__pydantic_fields__:
            return self.__dict__.get(name)
        if name and hasattr(kind, name):
            return getattr(self, name, None)
        return None


class Consents(BaseModel):
    """Marketing consent per channel. Absent means no consent."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    email: StrictBool = False
    sms: StrictBool = False
    push: StrictBool = False


# What an upstream tool leaves when it failed to fill a merge tag, or a leaked non-value:
# never a name to greet anyone with. Markup is not in it: a name is text, escaped when an
# HTML message shows it, and refusing "<" would only hide an attack from the audit.
_PLACEHOLDER_NAME = re.compile(
    r"^(\[.*\]|\{\{.*\}\}|\{.*\}|%.*%|\*\|.*\|\*|\$\{.*\}|null|none|undefined|nan)$",
    re.IGNORECASE | re.DOTALL,
)


def _check_first_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValueError("blank (empty or only spaces)")
    if _PLACEHOLDER_NAME.match(name):
        raise ValueError("looks like an unfilled placeholder, not a name")
    return name


FirstName = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_check_first_name)]
"""A first name to greet with: trimmed, never blank, never a placeholder like [FIRST_NAME]."""
BirthDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_check_date)]


class PlayerRegistered(EventDetail):
    """A new player. `player_id`, `event_id`, `occurred_at`, `locale`, `time_zone` and
    `country` are required: without them the event is refused. A bad optional field
    (first name, email, phone, birth date, consents, products, consent source) or an unknown
    one is dropped and the player is kept; the reason is in the decision trace and the
    audit (docs/identity.md).
    """

    detail_type: ClassVar[str] = "player.registered"
    salvageable: ClassVar[frozenset[str]] = frozenset(
        {"first_name", "email", "phone", "birth_date", "consents", "products", "consent_source"}
    )
    salvage_unknown: ClassVar[bool] = True

    locale: Locale
    time_zone: TimeZone
    country: Country
    consents: Consents = Field(default_factory=Consents)
    # Per product and channel (UKGC SR 5.1.12), e.g. {"casino": {"email": true}}: a channel
    # left out of a product is not answered, and the channel answer above covers it.
    products: dict[ConsentProduct, dict[Channel, StrictBool]] = Field(default_factory=dict)
    consent_source: ConsentSource | None = None
    first_name: FirstName | None = None
    email: Email | None = None
    phone: Phone | None = None
    birth_date: BirthDate | None = None


class PlayerLoggedIn(EventDetail):
    detail_type: ClassVar[str] = "player.logged_in"

    platform: Literal["web", "ios", "android", "other"] = "other"


class DepositSucceeded(EventDetail):
    detail_type: ClassVar[str] = "wallet.deposit_succeeded"

    deposit_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: PositiveMoney
    currency: Currency
    method: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class DepositFailed(EventDetail):
    detail_type: ClassVar[str] = "wallet.deposit_failed"

    deposit_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: PositiveMoney
    currency: Currency
    reason: Annotated[str, Field(min_length=1, max_length=80)] | None = None


class RoundFinished(EventDetail):
    detail_type: ClassVar[str] = "game.round_finished"

    round_id: Annotated[str, Field(min_length=1, max_length=128)]
    game_id: Annotated[str, Field(min_length=1, max_length=128)]
    category: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9_-]{0,39}$",
            description="Game category, e.g. slots, table, live, sports, crash.",
        ),
    ]
    stake: Money
    payout: Money
    currency: Currency

    @computed_field  # type: ignore[prop-decorator]
    @property
    def outcome(self) -> Literal["win", "loss", "push"]:
        """Derived: win when payout exceeds stake, loss when below, push when equal."""
        if self.payout > self.stake:
            return "win"
        if self.payout < self.stake:
            return "loss"
        return "push"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def win_multiplier(self) -> Decimal:
        """Derived: payout / stake (0 for a free round with no stake)."""
        if self.stake == 0:
            return Decimal(0)
        return (self.payout / self.stake).quantize(Decimal("0.0001"))


class ConsentChanged(EventDetail):
    """One consent answer. Without `product` it is the channel answer, covering every
    product; with it, that product's answer on that channel only (docs/delivery.md)."""

    detail_type: ClassVar[str] = "player.consent_changed"

    channel: Channel
    granted: StrictBool
    product: ConsentProduct | None = None
    source: ConsentSource | None = None


DeviceToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=4096,
        pattern=r"^[\x21-\x7e]+$",
        description="Push token from APNs or FCM (sensitive, like a phone number: never logged).",
    ),
]


class DeviceRegistered(EventDetail):
    """The app registered (or refreshed) a push token for the player's device."""

    detail_type: ClassVar[str] = "player.device_registered"

    device_token: DeviceToken
    platform: Literal["ios", "android", "web"]
    app_id: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="Operator's app id (bundle or package name), if several."
    )


class DeviceRemoved(EventDetail):
    """The app unregistered a push token (logout, uninstall noticed, token rotated)."""

    detail_type: ClassVar[str] = "player.device_removed"

    device_token: DeviceToken


class TimerFired(EventDetail):
    """Internal: put on the bus by EventBridge Scheduler when a player timer is due."""

    detail_type: ClassVar[str] = "engage.timer.fired"

    timer: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,47}$")]
    rule_id: Annotated[str, Field(min_length=1, max_length=64)]
    generation: Annotated[StrictInt, Field(ge=1)]


RgLimitKind = Literal["deposit", "loss", "wager", "session"]


class SelfExcluded(EventDetail):
    """The player excluded themselves: no marketing, no bonus until `until` (None = indefinite)."""

    detail_type: ClassVar[str] = "rg.self_excluded"

    until: EventTime | None = Field(
        default=None, description="End of the exclusion; absent or null means indefinite."
    )
    scheme: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        default=None, description="Operator or national scheme, e.g. GAMSTOP."
    )


class CoolOffStarted(EventDetail):
    """A short, time-boxed break (take-a-break / time-out)."""

    detail_type: ClassVar[str] = "rg.cool_off_started"

    until: EventTime


class ExclusionEnded(EventDetail):
    """A self-exclusion or cool-off ended (sent by the operator after its checks)."""

    detail_type: ClassVar[str] = "rg.exclusion_ended"


class LimitSet(EventDetail):
    """A deposit/loss/wager amount limit or a session-time limit per period."""

    detail_type: ClassVar[str] = "rg.limit_set"

    kind: RgLimitKind
    period: Literal["day", "week", "month", "session"]
    amount: PositiveMoney | None = Field(default=None, validate_default=True)
    currency: Currency | None = Field(default=None, validate_default=True)
    minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("amount", "currency")
    @classmethod
    def _money_limit(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind == "session" and value is not None:
            raise ValueError("a session limit is set in minutes, not money")
        if kind is not None and kind != "session" and value is None:
            raise ValueError(f"required for a {kind} limit")
        return value

    @field_validator("minutes")
    @classmethod
    def _time_limit(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind == "session" and value is None:
            raise ValueError("required for a session limit")
        if kind is not None and kind != "session" and value is not None:
            raise ValueError(f"a {kind} limit is money, not minutes")
        return value


class LimitReached(EventDetail):
    detail_type: ClassVar[str] = "rg.limit_reached"

    kind: RgLimitKind


class RgAlert(EventDetail):
    """Internal: a behavioural flag was raised, or an RG event could not be read."""

    detail_type: ClassVar[str] = "rg.alert"

    flag: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    inputs: dict[str, str] = Field(default_factory=dict)


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""Lower-case id chosen by the operator; lower case only, so rules never miss on letter case."""

Subject = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.:-]{0,79}$",
        description="What was rated, lower case, e.g. reward:free-spins-10 or game:book-of-ra.",
    ),
]

SurveyKind = Literal["thumbs", "yes_no", "scale_1_5"]
_SURVEY_WORDS: dict[str, tuple[str, str]] = {"thumbs": ("up", "down"), "yes_no": ("yes", "no")}


# JSON Schema can say which answers each kind allows, so the published schema refuses a
# mismatched answer just as the model does.
def _answer_when(kind: str, answer: JsonDict) -> JsonDict:
    return {
        "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
        "then": {"properties": {"answer": answer}},
    }


_SURVEY_ANSWER_RULES: JsonDict = {
    "allOf": [
        _answer_when("thumbs", {"enum": ["up", "down"]}),
        _answer_when("yes_no", {"enum": ["yes", "no"]}),
        _answer_when("scale_1_5", {"type": "integer", "minimum": 1, "maximum": 5}),
    ]
}


class SurveyAnswered(EventDetail):
    """A player answered a micro-survey: thumbs up/down, yes/no or a 1-5 scale.

    `answer` is checked against `kind`: "up"/"down" for thumbs, "yes"/"no" for yes_no, and
    a whole number 1 to 5 for scale_1_5. `subject` names what was rated, so a rule can avoid
    offering again what the player disliked.
    """

    detail_type: ClassVar[str] = "survey.answered"
    model_config = ConfigDict(defer_build=True, json_schema_extra=_SURVEY_ANSWER_RULES)

    survey_id: Slug
    question: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    kind: SurveyKind
    answer: StrictInt | Annotated[str, Field(min_length=1, max_length=8)] = Field(
        description='thumbs: "up" or "down"; yes_no: "yes" or "no"; scale_1_5: integer 1-5.'
    )
    subject: Subject | None = None

    @field_validator("answer")
    @classmethod
    def _answer_fits_kind(cls, value: int | str, info: ValidationInfo) -> int | str:
        kind = info.data.get("kind")
        if kind is None:  # kind itself is wrong; its own error says so
            return value
        if kind == "scale_1_5":
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ValueError(f"a scale_1_5 answer is a whole number from 1 to 5, not {value!r}")
            return value
        words = _SURVEY_WORDS[kind]
        if value not in words:
            raise ValueError(f"a {kind} answer is {words[0]!r} or {words[1]!r}, not {value!r}")
        return value

    @property
    def is_negative(self) -> bool:
        """Thumbs down, "no", or 1-2 on the scale: the player did not like the subject."""
        if isinstance(self.answer, int):
            return self.answer <= 2
        return self.answer in ("down", "no")


# --- e-commerce: products, interest and catalog news (issue 18) ------------------------------

Sku = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$",
        description="The shop's product id (stock-keeping unit).",
    ),
]
WebLink = Annotated[
    str,
    Field(max_length=2048, pattern=r"^https://[^\s<>\"']+$", description="An https:// link."),
]
MAX_LINE_ITEMS = 100
"""Lines one order or cart may carry (a bigger order is summarised by `items` alone)."""


class Product(BaseModel):
    """A product as the shop shows it: what templates print and recommendations list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    name: Annotated[str, Field(min_length=1, max_length=200)]
    price: Money
    currency: Currency
    image_url: WebLink | None = None
    url: WebLink | None = Field(default=None, description="The product page.")
    category: Slug | None = None


class LineItem(Product):
    """One line of an order or cart."""

    quantity: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1


class ShopProductViewed(EventDetail):
    """The player looked at a product page: records their interest in it."""

    detail_type: ClassVar[str] = "shop.product_viewed"

    product: Product


class ShopWishlistChanged(EventDetail):
    """The player added a product to their wishlist (or removed it: `added` false)."""

    detail_type: ClassVar[str] = "shop.wishlist_changed"

    product: Product
    added: StrictBool = True


class CatalogDetail(BaseModel):
    """News about a product, not about a player: it carries no player_id.

    The engine turns it into one per-player event for each player interested in the product
    (viewed, carted or wishlisted it recently): see docs/ecommerce.md.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    detail_type: ClassVar[str]

    event_id: EventId
    occurred_at: EventTime
    product: Product = Field(description="The product as it is now (new price, in stock).")


class ShopPriceDropped(CatalogDetail):
    """A product's price went down; `product.price` is the new price."""

    detail_type: ClassVar[str] = "shop.price_dropped"

    previous_price: PositiveMoney

    @model_validator(mode="after")
    def _dropped(self) -> ShopPriceDropped:
        if self.product.price >= self.previous_price:
            raise ValueError("product.price must be below previous_price for a price drop")
        return self


class ShopBackInStock(CatalogDetail):
    """A product that was sold out can be bought again."""

    detail_type: ClassVar[str] = "shop.back_in_stock"

    stock: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None, description="Units available, if the shop tells."
    )


InterestKind = Literal["viewed", "carted", "wishlisted"]


class ProductNews(EventDetail):
    """Internal: catalog news for one interested player (the engine's fan-out)."""

    product: Product
    interest: list[InterestKind] = Field(
        min_length=1, description="How the player showed interest in the product."
    )
    catalog_event_id: EventId = Field(description="The catalog event this was fanned out from.")


class ProductPriceDropped(ProductNews):
    """Internal: a product this player was interested in got cheaper."""

    detail_type: ClassVar[str] = "engage.shop.price_dropped"

    previous_price: PositiveMoney

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drop_percent(self) -> Decimal:
        """Derived: how much cheaper, in percent of the previous price (2 decimals)."""
        drop = (self.previous_price - self.product.price) / self.previous_price * 100
        return drop.quantize(Decimal("0.01"))


class ProductBackInStock(ProductNews):
    """Internal: a product this player was interested in is back in stock."""

    detail_type: ClassVar[str] = "engage.shop.back_in_stock"


class CatalogFanoutContinued(BaseModel):
    """Internal: the next page of a catalog event's fan-out (players after `after`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    detail_type: ClassVar[str] = "engage.shop.fanout_continued"

    event_id: EventId
    occurred_at: EventTime
    catalog_type: Literal["shop.price_dropped", "shop.back_in_stock"]
    catalog: ShopPriceDropped | ShopBackInStock = Field(
        description="The catalog event's detail, as received."
    )
    after: PlayerId = Field(description="The last player id the previous page covered.")
    page: Annotated[StrictInt, Field(ge=2)]

    @model_validator(mode="after")
    def _same_type(self) -> CatalogFanoutContinued:
        if self.catalog.detail_type != self.catalog_type:
            raise ValueError(f"catalog is not a {self.catalog_type} detail")
        return self


class ShopPurchase(EventDetail):
    """A completed order in the operator's shop (store, merchandise, coin packs)."""

    detail_type: ClassVar[str] = "shop.purchase"

    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: PositiveMoney
    currency: Currency
    items: Annotated[StrictInt, Field(ge=1, description="Number of items in the order.")]
    category: Slug | None = None
    products: list[LineItem] = Field(
        default_factory=list,
        max_length=MAX_LINE_ITEMS,
        description="The order's lines (optional): restock predictions and co-purchase "
        "recommendations need them.",
    )


class ShopCartAbandoned(EventDetail):
    """The player left a filled shop cart without paying (the shop decides when it is left)."""

    detail_type: ClassVar[str] = "shop.cart_abandoned"

    cart_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: PositiveMoney
    currency: Currency
    items: Annotated[StrictInt, Field(ge=1, description="Number of items in the cart.")]
    products: list[LineItem] = Field(
        default_factory=list,
        max_length=MAX_LINE_ITEMS,
        description="The cart's lines (optional): templates list them, and each one records "
        "the player's interest in the product.",
    )


PROFILE_UPDATE_FIELDS = (
    "first_name",
    "email",
    "phone",
    "locale",
    "time_zone",
    "country",
    "birth_date",
)
"""Registration fields a `player.profile_updated` may change."""

_REQUIRED_AT_REGISTRATION = ("locale", "time_zone", "country")

# The same two rules as the validators below, for the published schema: some field is given,
# and the fields registration requires are never null.
_PROFILE_UPDATE_RULES: JsonDict = {
    "anyOf": [{"required": [name]} for name in PROFILE_UPDATE_FIELDS],
    "allOf": [{"properties": {name: {"type": "string"} for name in _REQUIRED_AT_REGISTRATION}}],
}


class PlayerProfileUpdated(EventDetail):
    """A partial update of the details `player.registered` carries.

    A field left out stays as it is; a field sent as `null` is erased (e.g. the player removed
    their phone number). `locale`, `time_zone` and `country` can be changed but not erased,
    because registration requires them and delivery depends on them. At least one field must
    be given.
    """

    detail_type: ClassVar[str] = "player.profile_updated"
    model_config = ConfigDict(defer_build=True, json_schema_extra=_PROFILE_UPDATE_RULES)
    # A bad field is dropped (left as it is) and the rest of the update applies.
    salvageable: ClassVar[frozenset[str]] = frozenset(PROFILE_UPDATE_FIELDS)

    first_name: FirstName | None = None
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale | None = None
    time_zone: TimeZone | None = None
    country: Country | None = None
    birth_date: BirthDate | None = None

    @field_validator(*_REQUIRED_AT_REGISTRATION)
    @classmethod
    def _not_erasable(cls, value: str | None) -> str | None:
        # Runs only for a value actually sent (defaults are not validated), so None here is
        # an explicit null.
        if value is None:
            raise ValueError("cannot be erased (registration requires it); send a new value")
        return value

    @model_validator(mode="after")
    def _something_changes(self) -> PlayerProfileUpdated:
        if not self.model_fields_set & set(PROFILE_UPDATE_FIELDS):
            raise ValueError(
                "a profile update must give at least one of " + ", ".join(PROFILE_UPDATE_FIELDS)
            )
        return self

    @model_serializer(mode="wrap")
    def _dump_only_what_was_sent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A dump must not turn "left out" into null, which would mean "erase" when read back.
        data: dict[str, Any] = handler(self)
        unsent = set(PROFILE_UPDATE_FIELDS) - self.model_fields_set
        return {name: value for name, value in data.items() if name not in unsent}

    def updates(self) -> dict[str, str | None]:
        """The fields this event sets, `None` meaning erase; fields left out are not in it."""
        return {
            name: getattr(self, name)
            for name in PROFILE_UPDATE_FIELDS
            if name in self.model_fields_set
        }


class PlayerMerged(EventDetail):
    """The operator found two ids for one person: `merged_player_id` is folded into
    `player_id`, which survives. Points (with their ledger lines), badges, missions, tiers,
    consents (the stricter side wins), RG exclusions and pending timers move over, and the
    merged id becomes an alias: its later events are applied to `player_id`. The rules are
    in docs/identity.md.
    """

    detail_type: ClassVar[str] = "player.merged"

    merged_player_id: PlayerId = Field(description="The id merged away; it becomes an alias.")

    @model_validator(mode="after")
    def _two_players(self) -> PlayerMerged:
        if self.merged_player_id == self.player_id:
            raise ValueError("merged_player_id: a player cannot be merged into itself")
        return self


class SegmentEntered(EventDetail):
    """Internal: the player entered a segment (once per transition)."""

    detail_type: ClassVar[str] = "engage.segment.entered"

    segment_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class SegmentExited(EventDetail):
    """Internal: the player left a segment (once per transition)."""

    detail_type: ClassVar[str] = "engage.segment.exited"

    segment_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


LifecycleStage = Literal["new", "active", "at_risk", "lapsed", "reactivated"]


class LifecycleChanged(EventDetail):
    """Internal: the player's lifecycle stage changed."""

    detail_type: ClassVar[str] = "engage.lifecycle.changed"

    stage: LifecycleStage
    previous_stage: LifecycleStage | None = None


MessageChannel = Literal["email"]
"""Channels whose provider reports delivery feedback back to us (email through SES)."""


class MessageEvent(EventDetail):
    """Internal: delivery feedback on one message we sent, translated from the provider's.

    `event_id` is derived from the provider's message id and the feedback kind, so a
    redelivered notification is applied once.
    """

    outbox_id: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        description="The outbox item (message log entry) the message was sent for."
    )
    template: Slug
    channel: MessageChannel = "email"


class MessageDelivered(MessageEvent):
    """Internal: the recipient's mail server accepted the message."""

    detail_type: ClassVar[str] = "engage.message.delivered"


class MessageOpened(MessageEvent):
    """Internal: the player opened the message (a tracking pixel loaded; may be a proxy)."""

    detail_type: ClassVar[str] = "engage.message.opened"


class MessageClicked(MessageEvent):
    """Internal: the player clicked a link in the message."""

    detail_type: ClassVar[str] = "engage.message.clicked"

    link: Annotated[str, Field(min_length=1, max_length=2048)] | None = Field(
        default=None, description="The link clicked, without its query string (no ids leak)."
    )


class MessageBounced(MessageEvent):
    """Internal: the message bounced; a permanent (hard) bounce ends email consent."""

    detail_type: ClassVar[str] = "engage.message.bounced"

    bounce_type: Literal["permanent", "transient"]


class AppMessageOpened(EventDetail):
    """The operator's app reports that the player opened a push or an inbox message.

    Push and in-app opens happen in the operator's app, which is the only one who can see
    them; cascades ("push first; if not opened within 2 h, email") wait for this event.
    """

    detail_type: ClassVar[str] = "app.message_opened"

    outbox_id: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        description="The message id the push or inbox item carried (the outbox id)."
    )
    template: Slug
    channel: Literal["push", "inbox", "sms"]


class MessageComplained(MessageEvent):
    """Internal: the player marked the message as spam; this ends email consent."""

    detail_type: ClassVar[str] = "engage.message.complained"


GameSlug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class DepositReversed(EventDetail):
    """A deposit was charged back, refunded or cancelled: the points it earned are clawed back."""

    detail_type: ClassVar[str] = "wallet.deposit_reversed"

    deposit_id: Annotated[str, Field(min_length=1, max_length=128)]
    reason: Literal["chargeback", "refund", "cancelled", "other"] = "other"


class TierChanged(EventDetail):
    """Internal: the player's tier changed (up on qualifying, down at a review)."""

    detail_type: ClassVar[str] = "engage.tier.changed"

    tier: GameSlug
    previous_tier: GameSlug | None = None
    direction: Literal["up", "down"]
    qualifying_points: Annotated[StrictInt, Field(ge=0)]


class BadgeGranted(EventDetail):
    """Internal: a badge was granted (once per player and badge)."""

    detail_type: ClassVar[str] = "engage.badge.granted"

    badge: GameSlug


class MissionCompleted(EventDetail):
    """Internal: the player completed a mission (once per mission period)."""

    detail_type: ClassVar[str] = "engage.mission.completed"

    mission_id: GameSlug
    mission_version: Annotated[StrictInt, Field(ge=1)]
    period: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="Which occurrence: 'once', or the window start for a recurring mission."
    )


class MissionJoined(EventDetail):
    """The player opted in to an opt-in mission (the operator's app, or the player API)."""

    detail_type: ClassVar[str] = "player.mission_joined"

    mission_id: GameSlug


class LeaderboardPrize(EventDetail):
    """Internal: a closed leaderboard placed the player; the engine pays the prize once."""

    detail_type: ClassVar[str] = "engage.leaderboard.prize"

    board_id: GameSlug
    period: Annotated[str, Field(min_length=1, max_length=64)]
    rank: Annotated[StrictInt, Field(ge=1)]
    score: Decimal


class RewardPurchased(EventDetail):
    """Internal: the player bought a reward-store item with points."""

    detail_type: ClassVar[str] = "engage.store.purchased"

    item_id: GameSlug
    price: Annotated[StrictInt, Field(ge=0)]
    purchase_id: Annotated[str, Field(min_length=1, max_length=128)]


class WheelSpun(EventDetail):
    """Internal: the player spun a wheel; `prize_id` is what it landed on."""

    detail_type: ClassVar[str] = "engage.wheel.spun"

    wheel_id: GameSlug
    prize_id: GameSlug
    spin_id: Annotated[str, Field(min_length=1, max_length=128)]


DETAIL_MODELS: dict[str, type[EventDetail]] = {
    model.detail_type: model
    for model in (
        PlayerRegistered,
        PlayerLoggedIn,
        DepositSucceeded,
        DepositFailed,
        RoundFinished,
        ConsentChanged,
        DeviceRegistered,
        DeviceRemoved,
        TimerFired,
        SelfExcluded,
        CoolOffStarted,
        ExclusionEnded,
        LimitSet,
        LimitReached,
        RgAlert,
        SurveyAnswered,
        ShopPurchase,
        ShopCartAbandoned,
        ShopProductViewed,
        ShopWishlistChanged,
        ProductPriceDropped,
        ProductBackInStock,
        PlayerProfileUpdated,
        PlayerMerged,
        SegmentEntered,
        SegmentExited,
        LifecycleChanged,
        MessageDelivered,
        MessageOpened,
        MessageClicked,
        MessageBounced,
        MessageComplained,
        AppMessageOpened,
        DepositReversed,
        TierChanged,
        BadgeGranted,
        MissionCompleted,
        MissionJoined,
        LeaderboardPrize,
        RewardPurchased,
        WheelSpun,
    )
}


CatalogModel = type[CatalogDetail] | type[CatalogFanoutContinued]
CATALOG_MODELS: dict[str, CatalogModel] = {
    model.detail_type: model
    for model in (ShopPriceDropped, ShopBackInStock, CatalogFanoutContinued)
}
"""Detail-types about a product rather than a player: the engine fans them out."""

CATALOG_NEWS: dict[str, type[ProductNews]] = {
    ShopPriceDropped.detail_type: ProductPriceDropped,
    ShopBackInStock.detail_type: ProductBackInStock,
}
"""Catalog detail-type -> the per-player event its fan-out puts on the bus."""

CONTRACT_MODELS: dict[str, type[EventDetail] | CatalogModel] = {**DETAIL_MODELS, **CATALOG_MODELS}
"""Every detail-type of the contract: player events and catalog events."""


def has_field(detail_type: str, name: str) -> bool:
    """Whether events of this type carry `name` (a field, or a derived one like `outcome`).

    Not `hasattr` on the model class: pydantic keeps fields off the class, so only derived
    (computed) fields would be found.
    """
    model = DETAIL_MODELS[detail_type]
    return name in model.model_fields or name in model.model_computed_fields


INTERNAL_SOURCE = "engage.scheduler"
"""Source of timer events (EventBridge Scheduler puts them on the bus)."""

ENGINE_SOURCE = "engage.engine"
"""Source of events the platform derives and publishes (alerts, later tier/mission events)."""

FEEDBACK_SOURCE = "engage.ses"
"""Source of delivery feedback (opens, bounces, ...) the feedback function translates from SES."""

LEADERBOARD_SOURCE = "engage.leaderboard"
"""Source of prize events the leaderboard settlement puts on the bus when a board closes."""

UNSUBSCRIBE_SOURCE = "engage.unsubscribe"
"""Source of the consent changes the one-click unsubscribe route puts on the bus."""

INTERNAL_DETAIL_SOURCES: dict[str, str] = {
    "engage.timer.fired": INTERNAL_SOURCE,
    "rg.alert": ENGINE_SOURCE,
    "engage.segment.entered": ENGINE_SOURCE,
    "engage.segment.exited": ENGINE_SOURCE,
    "engage.lifecycle.changed": ENGINE_SOURCE,
    "engage.message.delivered": FEEDBACK_SOURCE,
    "engage.message.opened": FEEDBACK_SOURCE,
    "engage.message.clicked": FEEDBACK_SOURCE,
    "engage.message.bounced": FEEDBACK_SOURCE,
    "engage.message.complained": FEEDBACK_SOURCE,
    "engage.tier.changed": ENGINE_SOURCE,
    "engage.badge.granted": ENGINE_SOURCE,
    "engage.mission.completed": ENGINE_SOURCE,
    "engage.store.purchased": ENGINE_SOURCE,
    "engage.wheel.spun": ENGINE_SOURCE,
    "engage.leaderboard.prize": LEADERBOARD_SOURCE,
    "engage.shop.price_dropped": ENGINE_SOURCE,
    "engage.shop.back_in_stock": ENGINE_SOURCE,
    "engage.shop.fanout_continued": ENGINE_SOURCE,
}
"""Detail-types operators may not send: only the platform's own source is accepted."""

PLATFORM_SOURCE_PREFIX = "engage."
"""Sources the platform's own publishers use; operators must use their own (casino.example)."""

PLATFORM_SENT_OPERATOR_TYPES: dict[str, str] = {
    "player.consent_changed": UNSUBSCRIBE_SOURCE,
}
"""The operator detail-types a platform source legitimately sends, and which one.

Any other operator detail-type under an `engage.*` source is a forgery: a platform function
(dispatch, feedback) must not be able to mint deposits or rounds with its own credentials.
"""


def source_problem(source: str, detail_type: str) -> str | None:
    """Why this source may not send this detail-type, or None if it may."""
    required = INTERNAL_DETAIL_SOURCES.get(detail_type)
    if required is not None:
        return None if source == required else f"{detail_type} may only come from {required}"
    if source.startswith(PLATFORM_SOURCE_PREFIX) and (
        PLATFORM_SENT_OPERATOR_TYPES.get(detail_type) != source
    ):
        return f"{detail_type} is an operator event; the platform source {source} may not send it"
    return None


class Envelope(BaseModel):
    """The EventBridge envelope as the engine receives it (extra AWS fields are allowed)."""

    model_config = ConfigDict(defer_build=True, extra="allow", populate_by_name=True, frozen=True)

    source: Annotated[str, Field(min_length=1, max_length=256)]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]
    id: str | None = None
    time: datetime | None = None


class ContractError(ValueError):
    """An event does not meet the contract; `reason` says which field and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
            parts.append(f"{loc}: {err.get('msg')}")
        return "; ".join(parts)
    return str(exc)


def parse_event(envelope: dict[str, Any]) -> EventDetail:
    """Validate an EventBridge envelope and return its typed detail, or raise ContractError."""
    try:
        env = Envelope.model_validate(envelope)
    except ValueError as exc:
        raise ContractError(f"envelope: {_describe(exc)}") from exc
    return parse_detail(env.source, env.detail_type, env.detail)


def parse_detail(source: str, detail_type: str, detail: dict[str, Any]) -> EventDetail:
    """An envelope's parts, already known to be well-formed -> its typed detail.

    For callers whose envelope was checked when it was first received (the backtest reads
    lake rows the engine accepted): saves validating the envelope again.
    """
    model = DETAIL_MODELS.get(detail_type)
    if model is None:
        raise ContractError(f"detail-type: unknown {detail_type!r}")
    problem = source_problem(source, detail_type)
    if problem is not None:
        raise ContractError(f"source: {problem}")
    try:
        return model.model_validate(detail)
    except ValidationError as exc:
        salvaged = _salvage(model, detail, exc)
        if salvaged is None:
            raise ContractError(f"detail: {_describe(exc)}") from exc
        return salvaged
    except ValueError as exc:
        raise ContractError(f"detail: {_describe(exc)}") from exc


def _salvage(
    model: type[EventDetail], detail: dict[str, Any], exc: ValidationError
) -> EventDetail | None:
    """The event without its bad optional fields, or None when a required one is bad.

    Only top-level fields the model names as salvageable (and, where allowed, unknown
    fields) are dropped; the reasons are pydantic's messages, which never echo the value.
    """
    reasons: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else ""
        unknown = err.get("type") == "extra_forbidden" and len(loc) == 1
        if not (name in model.salvageable or (unknown and model.salvage_unknown)):
            return None
        why = "unknown field" if unknown else str(err.get("msg")).removeprefix("Value error, ")
        reasons.setdefault(name[:64], []).append(why)
    kept = {k: v for k, v in detail.items() if k[:64] not in reasons}
    try:
        event = model.model_validate(kept)
    except ValueError:
        return None
    dropped = {name: "; ".join(dict.fromkeys(why)) for name, why in reasons.items()}
    object.__setattr__(event, "__pydantic_private__", {"_dropped": dropped})  # see EventDetail
    return event


def parse_catalog_event(envelope: dict[str, Any]) -> CatalogDetail | CatalogFanoutContinued:
    """Validate a catalog event's envelope (no player in it), or raise ContractError."""
    try:
        env = Envelope.model_validate(envelope)
    except ValueError as exc:
        raise ContractError(f"envelope: {_describe(exc)}") from exc
    model = CATALOG_MODELS.get(env.detail_type)
    if model is None:
        raise ContractError(f"detail-type: {env.detail_type!r} is not a catalog event")
    problem = source_problem(env.source, env.detail_type)
    if problem is not None:
        raise ContractError(f"source: {problem}")
    try:
        return model.model_validate(env.detail)
    except ValueError as exc:
        raise ContractError(f"detail: {_describe(exc)}") from exc


def parse_contract_event(
    envelope: dict[str, Any],
) -> EventDetail | CatalogDetail | CatalogFanoutContinued:
    """Either kind of contract event: a player's, or a catalog event about a product."""
    if envelope.get("detail-type") in CATALOG_MODELS:
        return parse_catalog_event(envelope)
    return parse_event(envelope)


def parse_event_json(text: str | bytes) -> EventDetail:
    """Parse an envelope from JSON text, reading numbers as Decimal so money stays exact."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise ContractError(f"body: not JSON ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise ContractError("body: an EventBridge envelope must be a JSON object")
    return parse_event(data)


def parse_contract_json(text: str | bytes) -> EventDetail | CatalogDetail | CatalogFanoutContinued:
    """`parse_event_json` for either kind of contract event (player or catalog)."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError:
        return parse_event_json(text)  # raises the body error
    if isinstance(data, dict) and data.get("detail-type") in CATALOG_MODELS:
        return parse_catalog_event(data)
    return parse_event_json(text)
