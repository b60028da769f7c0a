"""Deploy-time settings of the stack, read from CDK context (cdk.json or `cdk -c key=value`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
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


STAGES = ("dev", "prod")
DEFAULT_STAGE = "dev"
# What a stage decides unless the context sets it: a dev stack is throw-away (data and logs
# go with `cdk destroy`, logs kept two weeks); a prod stack keeps its data, its logs for a
# year and its tables under deletion protection.
STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {"retain_data": False, "log_retention_days": 14},
    "prod": {"retain_data": True, "log_retention_days": 365},
}
# RFC 2606 / RFC 6761 names that can never be a real, verified SES sender. A prod stage with
# one of them would deploy green and mark every email `failed`.
_RESERVED_MAIL_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_MAIL_TLDS = ("test", "example", "invalid", "localhost")


class ContextError(ValueError):
    """A CDK context value is missing or out of range; the message names the key."""


def is_placeholder_sender(address: str) -> bool:
    """True for a sender on a reserved example domain (never verifiable in SES)."""
    domain = address.rsplit("@", 1)[-1].lower().rstrip(".")
    if domain.rsplit(".", 1)[-1] in _RESERVED_MAIL_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in _RESERVED_MAIL_DOMAINS)


@dataclass(frozen=True)
class StackConfig:
    """Every knob of the stack, validated once at synth time."""

    stage: str = DEFAULT_STAGE
    powertools_layer_version: int = 27
    email_from: str = "noreply@example.com"
    email_identity_domain: str | None = None
    archive_retention_days: int = 30
    dedupe_days: int = 400
    # The engine's reorder window W in seconds (docs/design.md, "Ordering"); 0 turns it off.
    reorder_window_seconds: int = 240
    engine_batch_size: int = 10
    engine_batching_window_seconds: int = 2
    dispatch_batch_size: int = 10
    log_retention_days: int = STAGE_DEFAULTS[DEFAULT_STAGE]["log_retention_days"]
    log_level: str = "INFO"
    retain_data: bool = STAGE_DEFAULTS[DEFAULT_STAGE]["retain_data"]
    # At most this many engine instances poll the queue at once (SQS event source
    # MaximumConcurrency), so a backlog cannot take the account's whole Lambda concurrency
    # from the console and the player API.
    engine_max_concurrency: int = 10
    # Subscribed to the alarm topic at deploy (optional: subscribe the rota yourself).
    alarm_email: str | None = None
    # SMS and push are off unless set (cdk.json leaves them empty).
    sms_provider: str | None = None
    sms_origination_identity: str | None = None
    push_application_id: str | None = None

    def __post_init__(self) -> None:
        _check(self.stage in STAGES, "stage", f"must be one of {list(STAGES)}")
        _check(
            not (self.stage == "prod" and is_placeholder_sender(self.email_from)),
            "email_from",
            f"{self.email_from!r} is a placeholder on a reserved example domain: SES can never "
            "verify it, so every email of a prod stage would fail. Set -c email_from=<a verified "
            "sender> (docs/deploy.md, 'SES: verify the sender, leave the sandbox')",
        )
        _check(
            self.alarm_email is None or bool(_EMAIL.match(self.alarm_email)),
            "alarm_email",
            "must be a plain address like oncall@example.com",
        )
        # Lambda's SQS event source accepts 2..1000.
        _check(
            2 <= self.engine_max_concurrency <= 1000, "engine_max_concurrency", "must be 2..1000"
        )
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
        _check(
            0 <= self.reorder_window_seconds <= 900,
            "reorder_window_seconds",
            "must be between 0 (off) and 900 seconds",
        )
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

    @property
    def removal_policy(self) -> RemovalPolicy:
        """What `cdk destroy` does to data and logs: kept unless this is a throw-away stack."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @classmethod
    def from_node(cls, node: Node) -> StackConfig:
        """Read the context of `node` (app or stack), falling back to the stage's defaults,
        then to the defaults above."""
        defaults = cls()
        stage = str(node.try_get_context("stage") or DEFAULT_STAGE).strip()
        _check(stage in STAGES, "stage", f"must be one of {list(STAGES)}, got {stage!r}")
        raw: dict[str, Any] = {"stage": stage, **STAGE_DEFAULTS[stage]}
        for name in cls.__dataclass_fields__:
            value = node.try_get_context(name)
            if value is None or name == "stage":
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
