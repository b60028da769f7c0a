"""Typed settings of the console function, validated once per cold start.

Kept next to the console (not in shared/settings.py) so its names are owned in one place;
table names reuse the shared ENV contract.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.settings import ENV, SettingsError

CONSOLE_ENV = {
    "player_table": ENV["player_table"],
    "config_table": ENV["config_table"],
    # The Cognito hosted UI domain (e.g. engage-1234.auth.eu-west-1.amazoncognito.com)
    # and the console's app client id, which the page needs to start a sign-in.
    "auth_domain": "ENGAGE_CONSOLE_AUTH_DOMAIN",
    "auth_client_id": "ENGAGE_CONSOLE_AUTH_CLIENT_ID",
    # The pool admins manage console users in.
    "user_pool_id": "ENGAGE_CONSOLE_USER_POOL_ID",
    # The event lake's Athena workgroup and Glue database, for the Reports tab (optional:
    # without them the tab says no lake is wired).
    "lake_workgroup": "ENGAGE_LAKE_WORKGROUP",
    "lake_database": "ENGAGE_LAKE_DATABASE",
}


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)
    auth_domain: str = Field(min_length=3, pattern=r"^[A-Za-z0-9.-]+$")
    auth_client_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9]+$")
    user_pool_id: str = Field(min_length=1, pattern=r"^[\w-]+_[0-9a-zA-Z]+$")
    lake_workgroup: str | None = Field(default=None, min_length=1, pattern=r"^[\w.-]+$")
    lake_database: str | None = Field(default=None, min_length=1, pattern=r"^[a-z0-9_]+$")


def console_settings(environ: Mapping[str, str]) -> ConsoleSettings:
    raw = {name: environ[var] for name, var in CONSOLE_ENV.items() if var in environ}
    try:
        return ConsoleSettings.model_validate(raw)
    except ValidationError as exc:
        bad = [CONSOLE_ENV[str(e["loc"][0])] for e in exc.errors() if e["loc"]]
        raise SettingsError(f"bad or missing environment variables: {bad}") from exc
