"""Deploy-time settings of the stack, read from CDK context (cdk.json or `cdk -c key=value`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

# CloudWatch Logs accepts only these retentions; the names are those of logs.RetentionDays.
LOG_RETENTION_NAMES = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}
LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})

_EMAIL = re.compile(r"^[^@\s<>]{1,64}@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
SMS_PROVIDERS = frozenset({"eum", "sns"})
# End User Messaging origination identities IAM can name: an ARN, or a phone-number/pool id
# (a bare sender id also needs its country, so give its ARN instead).
_SMS_IDENTITY = re.compile(
    r"^(arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)/[A-Za-z0-9_/+-]+"
    r"|(phone|pool)-[A-Za-z0-9]+)$"
)
_PUSH_APP_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


class ContextError(ValueError):
    """A CDK context value is missing or out of range; the message names the key."""


@dataclass(frozen=True)
class StackConfig:
    """Every knob of the stack, validated once at synth time."""

    powertools_layer_version: int = 27
    email_from: str = "noreply@example.com"
    email_identity_domain: str | None = None
    archive_retention_days: int = 30
    dedupe_days: int = 400
    engine_batch_size: int = 10
    engine_batching_window_seconds: int = 2
    dispatch_batch_size: int = 10
    log_retention_days: int = 30
    log_level: str = "INFO"
    retain_data: bool = True
    # SMS and push are off unless set (cdk.json leaves them empty).
    sms_provider: str | None = None
    sms_origination_identity: str | None = None
    push_application_id: str | None = None

    def __post_init__(self) -> None:
        _check(self.powertools_layer_version >= 1, "powertools_layer_version", "must be >= 1")
        _check(
            bool(_EMAIL.match(self.email_from)),
            "email_from",
            "must be a plain address like noreply@example.com (no display name)",
        )
        if self.email_identity_domain is not None:
            _check(
                bool(_DOMAIN.match(self.email_identity_domain)),
                "email_identity_domain",
                "must be a domain name like example.com",
            )
            _check(
                self.email_from.lower().endswith("@" + self.email_identity_domain.lower()),
                "email_identity_domain",
                f"email_from {self.email_from!r} must be an address of this domain",
            )
        # EventBridge archives keep events for 1..n days (0 would mean forever). A replay older
        # than the engine's de-duplication window would apply events twice (invariant 1).
        _check(
            1 <= self.archive_retention_days <= self.dedupe_days,
            "archive_retention_days",
            f"must be between 1 and dedupe_days ({self.dedupe_days}) so replays stay idempotent",
        )
        _check(1 <= self.dedupe_days <= 3650, "dedupe_days", "must be between 1 and 3650")
        # The engine must finish a whole batch within its 30 s timeout; 100 leaves headroom.
        _check(1 <= self.engine_batch_size <= 100, "engine_batch_size", "must be 1..100")
        _check(
            0 <= self.engine_batching_window_seconds <= 20,
            "engine_batching_window_seconds",
            "must be 0..20",
        )
        _check(
            self.engine_batch_size <= 10 or self.engine_batching_window_seconds > 0,
            "engine_batch_size",
            "above 10 needs engine_batching_window_seconds > 0 (an SQS event source rule)",
        )
        _check(1 <= self.dispatch_batch_size <= 100, "dispatch_batch_size", "must be 1..100")
        _check(
            self.log_retention_days in LOG_RETENTION_NAMES,
            "log_retention_days",
            f"must be one of {sorted(LOG_RETENTION_NAMES)}",
        )
        _check(self.log_level in LOG_LEVELS, "log_level", f"must be one of {sorted(LOG_LEVELS)}")
        _check(
            self.sms_provider is None or self.sms_provider in SMS_PROVIDERS,
            "sms_provider",
            f"must be empty (no SMS) or one of {sorted(SMS_PROVIDERS)}",
        )
        if self.sms_provider == "eum":
            _check(
                bool(self.sms_origination_identity)
                and bool(_SMS_IDENTITY.match(self.sms_origination_identity or "")),
                "sms_origination_identity",
                "the eum provider needs the origination identity's ARN, or a phone-.../pool-... id",
            )
        if self.push_application_id is not None:
            _check(
                bool(_PUSH_APP_ID.match(self.push_application_id)),
                "push_application_id",
                "must be the End User Messaging push (Pinpoint) application id",
            )

    @classmethod
    def from_node(cls, node: Node) -> StackConfig:
        """Read the context of `node` (app or stack), falling back to the defaults above."""
        defaults = cls()
        raw: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            value = node.try_get_context(name)
            if value is None:
                continue
            raw[name] = _coerce(name, value, getattr(defaults, name))
        return cls(**raw)


def _check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ContextError(f"cdk context {key!r}: {message}")


def _coerce(key: str, value: Any, default: Any) -> Any:
    # `cdk -c key=value` always passes strings; cdk.json passes JSON types.
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"true", "false"}:
            return str(value).lower() == "true"
        raise ContextError(f"cdk context {key!r}: expected true or false, got {value!r}")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ContextError(f"cdk context {key!r}: expected an integer, got {value!r}") from None
    text = str(value).strip()
    if not text and default is not None:
        raise ContextError(f"cdk context {key!r}: must not be empty")
    return text or None
