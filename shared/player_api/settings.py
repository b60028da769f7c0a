"""Typed settings of the player API function, validated once per cold start."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.settings import ENV, SettingsError

PLAYER_API_ENV = {"player_table": ENV["player_table"], "config_table": ENV["config_table"]}


class PlayerApiSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    player_table: str = Field(min_length=1)
    config_table: str = Field(min_length=1)


def player_api_settings(environ: Mapping[str, str]) -> PlayerApiSettings:
    raw = {name: environ[var] for name, var in PLAYER_API_ENV.items() if var in environ}
    try:
        return PlayerApiSettings.model_validate(raw)
    except ValidationError as exc:
        bad = [PLAYER_API_ENV[str(e["loc"][0])] for e in exc.errors() if e["loc"]]
        raise SettingsError(f"bad or missing environment variables: {bad}") from exc
