"""Builds the console's services (the console's part of the one wiring point).

Like `shared.wiring`: nothing is built at import time; the Lambda builds once per cold start
from the environment, and the local runtime and tests `install()` their own services
(moto endpoint, virtual clock, and the dev login, which only they can create).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared.adapters.config_store import RULE
from shared.adapters.player_store import PlayerStore
from shared.clock import Clock, SystemClock
from shared.console.cognito import CognitoSignIn
from shared.console.devlogin import DevLogin
from shared.console.lifecycle import ConfigAdmin
from shared.console.players import (
    PlayerLookup,
    PlayerSection,
    audit_section,
    consent_section,
    identity_section,
    marketing_section,
    rules_section,
)
from shared.console.services import ConsoleServices, DryRuns, ReachEstimates
from shared.console.settings import console_settings
from shared.console.store import ConsoleConfigStore
from shared.console.users import CognitoUsers
from shared.wiring import AwsClients

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver


def build_console(
    *,
    player_table: str,
    config_table: str,
    clients: AwsClients,
    clock: Clock,
    sign_in: CognitoSignIn | None = None,
    dev_login: DevLogin | None = None,
    user_pool_id: str | None = None,
    player_sections: tuple[PlayerSection, ...] = (),
    lake: tuple[str, str] | None = None,
) -> ConsoleServices:
    """`lake` is the event lake's (Athena workgroup, Glue database) for the Reports tab."""
    ddb = clients.client("dynamodb")
    players = PlayerStore(player_table, ddb)
    config = ConsoleConfigStore(config_table, ddb)
    reports = None
    if lake is not None:
        from shared.adapters.athena_queries import AthenaQueries
        from shared.console.reports import AthenaReports
        from shared.reports.rule_inputs import report_rules

        workgroup, database = lake
        reports = AthenaReports(
            AthenaQueries(workgroup, database, clients.client("athena")),
            rules=lambda: report_rules(item.body() or {} for item in config.items(RULE)),
            clock=clock,
        )
    admin = ConfigAdmin(config, clock)
    sections = (
        marketing_section(players),
        rules_section(players, lambda: admin.live_bodies(RULE), clock),
        audit_section(players),
        identity_section(players),
        consent_section(players),
        *player_sections,
    )
    return ConsoleServices(
        config=admin,
        players=PlayerLookup(players, sections),
        dry_runs=DryRuns(players, config, clock),
        reach=ReachEstimates(players, clock),
        sign_in=sign_in,
        dev_login=dev_login,
        users=CognitoUsers(user_pool_id, clients.client("cognito-idp")) if user_pool_id else None,
        reports=reports,
    )


_installed: dict[str, object] = {}


def install(services: ConsoleServices) -> None:
    """Use these services (and rebuild the API for them): tests and the local runtime."""
    _installed.clear()
    _installed["services"] = services


def reset() -> None:
    _installed.clear()


def services() -> ConsoleServices:
    if "services" not in _installed:
        settings = console_settings(os.environ)
        _installed["services"] = build_console(
            player_table=settings.player_table,
            config_table=settings.config_table,
            clients=AwsClients(),
            clock=SystemClock(),
            sign_in=CognitoSignIn(settings.auth_domain, settings.auth_client_id),
            user_pool_id=settings.user_pool_id,
            lake=(
                (settings.lake_workgroup, settings.lake_database)
                if settings.lake_workgroup and settings.lake_database
                else None
            ),
        )
    built = _installed["services"]
    assert isinstance(built, ConsoleServices)
    return built


def app() -> APIGatewayHttpResolver:
    """The API for the current services; `/dev/login` exists only if they have a dev login."""
    if "app" not in _installed:
        from shared.console.api import create_app

        _installed["app"] = create_app(services())
    return _installed["app"]  # type: ignore[return-value]
