"""Typed settings for the Lambda functions, validated once per cold start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

# Env var names are the contract between infra/ (which sets them) and the functions.
ENV = {
    "player_table": "ENGAGE_PLAYER_TABLE",
    "config_table": "ENGAGE_CONFIG_TABLE",
    "bus_name": "ENGAGE_BUS_NAME",
    "bus_arn": "ENGAGE_BUS_ARN",
    "dead_letter_queue_url": "ENGAGE_DEAD_LETTER_QUEUE_URL",
    "schedule_group": "ENGAGE_SCHEDULE_GROUP",
    "scheduler_role_arn": "ENGAGE_SCHEDULER_ROLE_ARN",
    "schedule_dead_letter_queue_arn": "ENGAGE_SCHEDULE_DLQ_ARN",
    "email_from": "ENGAGE_EMAIL_FROM",
    "ses_configuration_set": "ENGAGE_SES_CONFIGURATION_SET",
    "dedupe_days": "ENGAGE_DEDUPE_DAYS",
    "reorder_window_seconds": "ENGAGE_REORDER_WINDOW_SECONDS",
    "compliance_topic_arn": "ENGAGE_COMPLIANCE_TOPIC_ARN",
    "unsubscribe_base_url": "ENGAGE_UNSUBSCRIBE_BASE_URL",
    "unsubscribe_secret_arn": "ENGAGE_UNSUBSCRIBE_SECRET_ARN",
    "sms_provider": "ENGAGE_SMS_PROVIDER",
    "sms_origination_identity": "ENGAGE_SMS_ORIGINATION_IDENTITY",
    "push_application_id": "ENGAGE_PUSH_APPLICATION_ID",
    "push_sns_applications": "ENGAGE_PUSH_SNS_APPLICATIONS",
}


_S = TypeVar("_S", bound=BaseModel)


def _blank_is_unset(value: object) -> object:
    # An empty env var (or cdk.json's "" default) means "not configured", not "configured as ''".
    return None if isinstance(value, str) and not value.strip() else value


OptionalText = Annotated[str | None, BeforeValidator(_blank_is_unset)]


class SettingsError(RuntimeError):
    """The function's environment is incomplete or wrong."""


class EngineSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    dead_letter_queue_url: str = Field(min_length=1)
    # Malformed responsible-gaming events raise an alert here, not just a DLQ entry.
    compliance_topic_arn: str = Field(min_length=1)
    # How long an event_id is remembered for de-duplication (replays from the archive
    # older than this would be applied again; keep it longer than the archive replay you use).
    dedupe_days: int = Field(default=400, ge=1, le=3650)
    # Catalog events (price drops, restocks) fan out to interested players on this bus;
    # unset, they are refused to the DLQ.
    bus_arn: OptionalText = None
    # The reorder window W (docs/design.md, "Ordering"): events are decided once W old, in
    # event-time order. 0 decides each batch at once (order only within a batch). The
    # upper bound keeps the held events of a busy player well inside the state item.
    reorder_window_seconds: int = Field(default=240, ge=0, le=900)


class DispatchSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    bus_arn: str = Field(min_length=1)
    schedule_group: str = Field(min_length=1)
    scheduler_role_arn: str = Field(min_length=1)
    # Where Scheduler parks a timer it could not deliver (every schedule names it).
    schedule_dead_letter_queue_arn: str = Field(min_length=1)
    email_from: str = Field(min_length=3)
    ses_configuration_set: str = Field(min_length=1)
    compliance_topic_arn: str = Field(min_length=1)
    # Every marketing email links here (the unsubscribe route), signed with this secret's key.
    unsubscribe_base_url: str = Field(min_length=8)
    unsubscribe_secret_arn: str = Field(min_length=1)
    # SMS and push are off unless configured: no provider, no channel (sends to it fail
    # with "no sms channel configured" in the message log).
    sms_provider: Annotated[Literal["eum", "sns"] | None, BeforeValidator(_blank_is_unset)] = None
    # End User Messaging: phone number / sender id / pool (id or ARN), required with "eum".
    # SNS: an optional origination number (+...) or sender id.
    sms_origination_identity: OptionalText = None
    push_application_id: OptionalText = None
    # Push through SNS mobile push instead: "ios=<platform application ARN>,android=<ARN>"
    # (the local runtime uses it over moto, which implements SNS platform endpoints).
    push_sns_applications: OptionalText = None

    @model_validator(mode="after")
    def _eum_needs_an_identity(self) -> DispatchSettings:
        if self.sms_provider == "eum" and not self.sms_origination_identity:
            raise ValueError("sms_origination_identity is required for the eum SMS provider")
        return self


class UnsubscribeSettings(BaseModel):
    """The one-click unsubscribe route: verifies with the key, puts consent changes."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    bus_arn: str = Field(min_length=1)
    unsubscribe_secret_arn: str = Field(min_length=1)


class FeedbackSettings(BaseModel):
    """The SES feedback function: translated message events go to the engage bus."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    bus_arn: str = Field(min_length=1)


def _from_env(model: type[_S], environ: Mapping[str, str]) -> _S:
    fields = model.model_fields
    raw = {name: environ[var] for name, var in ENV.items() if name in fields and var in environ}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        missing = [
            ENV[str(e["loc"][0])] for e in exc.errors() if e["loc"] and str(e["loc"][0]) in ENV
        ]
        raise SettingsError(f"bad or missing environment variables: {missing}") from exc


def engine_settings(environ: Mapping[str, str]) -> EngineSettings:
    return _from_env(EngineSettings, environ)


def dispatch_settings(environ: Mapping[str, str]) -> DispatchSettings:
    return _from_env(DispatchSettings, environ)


def unsubscribe_settings(environ: Mapping[str, str]) -> UnsubscribeSettings:
    return _from_env(UnsubscribeSettings, environ)


def feedback_settings(environ: Mapping[str, str]) -> FeedbackSettings:
    return _from_env(FeedbackSettings, environ)
