"""Typed settings for the Lambda functions, validated once per cold start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Env var names are the contract between infra/ (which sets them) and the functions.
ENV = {
    "player_table": "ENGAGE_PLAYER_TABLE",
    "config_table": "ENGAGE_CONFIG_TABLE",
    "bus_name": "ENGAGE_BUS_NAME",
    "bus_arn": "ENGAGE_BUS_ARN",
    "dead_letter_queue_url": "ENGAGE_DEAD_LETTER_QUEUE_URL",
    "schedule_group": "ENGAGE_SCHEDULE_GROUP",
    "scheduler_role_arn": "ENGAGE_SCHEDULER_ROLE_ARN",
    "email_from": "ENGAGE_EMAIL_FROM",
    "ses_configuration_set": "ENGAGE_SES_CONFIGURATION_SET",
    "dedupe_days": "ENGAGE_DEDUPE_DAYS",
    "compliance_topic_arn": "ENGAGE_COMPLIANCE_TOPIC_ARN",
}


_S = TypeVar("_S", bound=BaseModel)


class SettingsError(RuntimeError):
    """The function's environment is incomplete or wrong."""


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    dead_letter_queue_url: str = Field(min_length=1)
    # Malformed responsible-gaming events raise an alert here, not just a DLQ entry.
    compliance_topic_arn: str = Field(min_length=1)
    # How long an event_id is remembered for de-duplication (replays from the archive
    # older than this would be applied again; keep it longer than the archive replay you use).
    dedupe_days: int = Field(default=400, ge=1, le=3650)


class DispatchSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    bus_arn: str = Field(min_length=1)
    schedule_group: str = Field(min_length=1)
    scheduler_role_arn: str = Field(min_length=1)
    email_from: str = Field(min_length=3)
    ses_configuration_set: str = Field(min_length=1)
    compliance_topic_arn: str = Field(min_length=1)


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
