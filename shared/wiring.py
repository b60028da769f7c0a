"""The one wiring point: builds services from typed settings, a clock and AWS clients.

Nothing is built at import time. Lambda handlers call `engine()` / `dispatch()`, which
build once per cold start from the environment; tests and the local runtime `install()`
their own instances (other clock, moto endpoint, observers) before invoking handlers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.clock import Clock, SystemClock

# Each builder imports the adapters and services of its own function only: a handler's
# cold import pays for what that function runs, not for every function's code
# (benchmarks/cold_import.py).
if TYPE_CHECKING:
    from shared.adapters.capacity import CapacityMeter
    from shared.adapters.player_store import PlayerStore
    from shared.domain.core.state import PlayerState
    from shared.metrics import MetricsPort
    from shared.services.audience_export import AudienceExporter
    from shared.services.deliverers import Deliverer
    from shared.services.dispatch import DispatchObserver, DispatchService
    from shared.services.engine import EngineService
    from shared.services.engine_batch import EngineObserver
    from shared.services.feedback import FeedbackService
    from shared.services.rebuild import RebuildReport, RebuildService
    from shared.services.unsubscribe import UnsubscribeService
    from shared.settings import (
        DispatchSettings,
        EngineSettings,
        FeedbackSettings,
        UnsubscribeSettings,
    )


@dataclass
class AwsClients:
    """Creates boto3 clients lazily; `endpoint_url` points them at moto locally."""

    endpoint_url: str | None = None
    region: str | None = None
    # Only for a local endpoint: moto accepts any key, and we never want real credentials used.
    credentials: dict[str, str] | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._cache:
            import boto3  # deferred: importing a handler stays cheap (cold start)
            from botocore.config import Config

            config = Config(retries={"mode": "standard", "max_attempts": 3})
            self._cache[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                config=config,
                **(self.credentials or {}),
            )
        return self._cache[service]


def build_engine(
    settings: EngineSettings,
    clock: Clock,
    clients: AwsClients,
    observer: EngineObserver | None = None,
    meter: CapacityMeter | None = None,
    on_config_problem: Any = None,
    metrics: MetricsPort | None = None,
) -> EngineService:
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.dead_letters import SqsDeadLetters
    from shared.adapters.game_pools import GamePools
    from shared.adapters.player_store import PlayerStore
    from shared.adapters.product_index import ProductIndex
    from shared.adapters.publisher import ComplianceAlerts, EventPublisher
    from shared.services.catalog_fanout import CatalogFanout
    from shared.services.config_cache import ConfigCache
    from shared.services.engine import EngineService

    ddb = clients.client("dynamodb")
    catalog = (
        CatalogFanout(
            ProductIndex(settings.player_table, ddb, meter),
            EventPublisher(clients.client("events"), settings.bus_arn),
            clock,
        )
        if settings.bus_arn
        else None
    )
    return EngineService(
        # Eventually consistent reads: writes are guarded, a stale read only retries (PlayerStore).
        players=PlayerStore(settings.player_table, ddb, meter, eventual_reads=True),
        config=ConfigCache(ConfigStore(settings.config_table, ddb, meter), on_config_problem),
        dead_letters=SqsDeadLetters(clients.client("sqs"), settings.dead_letter_queue_url),
        alerts=ComplianceAlerts(clients.client("sns"), settings.compliance_topic_arn),
        clock=clock,
        dedupe_for=timedelta(days=settings.dedupe_days),
        observer=observer,
        metrics=metrics,
        pools=GamePools(settings.player_table, ddb),
        catalog=catalog,
        reorder_window=timedelta(seconds=settings.reorder_window_seconds),
    )


def build_audience_exporter(
    player_table: str, config_table: str, clients: AwsClients, clock: Clock
) -> AudienceExporter:
    """The audience export over the player table (a batch job: one Scan per export)."""
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.export_audit import ExportAuditLog
    from shared.adapters.player_scan import PlayerScan
    from shared.services.audience_export import AudienceExporter
    from shared.services.config_cache import ConfigCache

    ddb = clients.client("dynamodb")
    return AudienceExporter(
        PlayerScan(player_table, ddb),
        ConfigCache(ConfigStore(config_table, ddb)),
        ExportAuditLog(config_table, ddb),
        clock,
    )


def build_dispatch(
    settings: DispatchSettings,
    clock: Clock,
    clients: AwsClients,
    observer: DispatchObserver | None = None,
    meter: CapacityMeter | None = None,
    on_config_problem: Any = None,
    metrics: MetricsPort | None = None,
) -> DispatchService:
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.email_ses import SesEmailSender
    from shared.adapters.player_store import PlayerStore
    from shared.adapters.publisher import ComplianceAlerts, EventPublisher
    from shared.adapters.scheduler import TimerScheduler
    from shared.adapters.secrets import read_key
    from shared.domain.players.unsubscribe import TokenSigner
    from shared.services.config_cache import ConfigCache
    from shared.services.deliverers import EmailDeliverer, InboxDeliverer, SignedUnsubscribeLinks
    from shared.services.dispatch import DispatchService

    ddb = clients.client("dynamodb")
    players = PlayerStore(settings.player_table, ddb, meter)
    deliverers: dict[str, Deliverer] = {
        "email": EmailDeliverer(
            SesEmailSender(
                clients.client("sesv2"), settings.email_from, settings.ses_configuration_set
            ),
            unsubscribe=SignedUnsubscribeLinks(
                settings.unsubscribe_base_url,
                TokenSigner(
                    read_key(clients.client("secretsmanager"), settings.unsubscribe_secret_arn)
                ),
            ),
        ),
        "inbox": InboxDeliverer(players),
        **mobile_deliverers(settings, clients, players),
    }
    return DispatchService(
        players=players,
        config=ConfigCache(ConfigStore(settings.config_table, ddb, meter), on_config_problem),
        deliverers=deliverers,
        timers=TimerScheduler(
            clients.client("scheduler"),
            settings.schedule_group,
            settings.bus_arn,
            settings.scheduler_role_arn,
            settings.schedule_dead_letter_queue_arn,
        ),
        publisher=EventPublisher(clients.client("events"), settings.bus_arn),
        alerts=ComplianceAlerts(clients.client("sns"), settings.compliance_topic_arn),
        clock=clock,
        observer=observer,
        metrics=metrics,
    )


def mobile_deliverers(
    settings: DispatchSettings, clients: AwsClients, players: PlayerStore
) -> dict[str, Deliverer]:
    """SMS and push deliverers, only for the channels the deployment configured."""
    from shared.adapters.push import (
        PinpointPushSender,
        SnsPushSender,
        parse_platform_applications,
    )
    from shared.adapters.sms import EumSmsSender, SnsSmsSender
    from shared.services.deliverers_mobile import PushDeliverer, SmsDeliverer

    found: dict[str, Deliverer] = {}
    if settings.sms_provider == "eum" and settings.sms_origination_identity:
        found["sms"] = SmsDeliverer(
            EumSmsSender(clients.client("pinpoint-sms-voice-v2"), settings.sms_origination_identity)
        )
    elif settings.sms_provider == "sns":
        found["sms"] = SmsDeliverer(
            SnsSmsSender(clients.client("sns"), settings.sms_origination_identity)
        )
    if settings.push_application_id:
        found["push"] = PushDeliverer(
            PinpointPushSender(clients.client("pinpoint"), settings.push_application_id),
            players,
        )
    elif settings.push_sns_applications:
        found["push"] = PushDeliverer(
            SnsPushSender(
                clients.client("sns"), parse_platform_applications(settings.push_sns_applications)
            ),
            players,
        )
    return found


def build_unsubscribe(
    settings: UnsubscribeSettings, clock: Clock, clients: AwsClients, observer: Any = None
) -> UnsubscribeService:
    from events.models import UNSUBSCRIBE_SOURCE
    from shared.adapters.publisher import EventPublisher
    from shared.adapters.secrets import read_key
    from shared.domain.players.unsubscribe import TokenSigner
    from shared.services.unsubscribe import UnsubscribeService

    key = read_key(clients.client("secretsmanager"), settings.unsubscribe_secret_arn)
    return UnsubscribeService(
        TokenSigner(key),
        EventPublisher(clients.client("events"), settings.bus_arn, source=UNSUBSCRIBE_SOURCE),
        clock,
        observer=observer,
    )


def build_feedback(settings: FeedbackSettings, clients: AwsClients) -> FeedbackService:
    from events.models import FEEDBACK_SOURCE
    from shared.adapters.publisher import EventPublisher
    from shared.services.feedback import FeedbackService

    return FeedbackService(
        EventPublisher(clients.client("events"), settings.bus_arn, source=FEEDBACK_SOURCE)
    )


_installed: dict[str, Any] = {}


def _powertools(metrics: Any, service: str) -> MetricsPort | None:
    if metrics is None:
        return None
    from shared.adapters.cloudwatch_metrics import PowertoolsMetrics

    return PowertoolsMetrics(metrics, service)


def install(
    *,
    engine: EngineService | None = None,
    dispatch: DispatchService | None = None,
    unsubscribe: UnsubscribeService | None = None,
    feedback: FeedbackService | None = None,
) -> None:
    """Use these services instead of building from the environment (tests, local runtime)."""
    if engine is not None:
        _installed["engine"] = engine
    if dispatch is not None:
        _installed["dispatch"] = dispatch
    if unsubscribe is not None:
        _installed["unsubscribe"] = unsubscribe
    if feedback is not None:
        _installed["feedback"] = feedback


def reset() -> None:
    _installed.clear()


def engine(logger: Any = None, metrics: Any = None) -> EngineService:
    """The engine; `metrics` is the handler's Powertools Metrics (flushed by log_metrics)."""
    if "engine" not in _installed:
        from shared.metric_names import ENGINE_SERVICE
        from shared.observers import LoggingObserver
        from shared.settings import engine_settings

        observer = LoggingObserver(logger) if logger is not None else None
        _installed["engine"] = build_engine(
            engine_settings(os.environ),
            SystemClock(),
            AwsClients(),
            observer=observer,
            on_config_problem=observer.config_problem if observer else None,
            metrics=_powertools(metrics, ENGINE_SERVICE),
        )
    service: EngineService = _installed["engine"]
    return service


def dispatch(logger: Any = None, metrics: Any = None) -> DispatchService:
    """Dispatch; `metrics` is the handler's Powertools Metrics (flushed by log_metrics)."""
    if "dispatch" not in _installed:
        from shared.metric_names import DISPATCH_SERVICE
        from shared.observers import LoggingObserver
        from shared.settings import dispatch_settings

        observer = LoggingObserver(logger) if logger is not None else None
        _installed["dispatch"] = build_dispatch(
            dispatch_settings(os.environ),
            SystemClock(),
            AwsClients(),
            observer=observer,
            on_config_problem=observer.config_problem if observer else None,
            metrics=_powertools(metrics, DISPATCH_SERVICE),
        )
    service: DispatchService = _installed["dispatch"]
    return service


def unsubscribe(observer: Any = None) -> UnsubscribeService:
    if "unsubscribe" not in _installed:
        from shared.settings import unsubscribe_settings

        _installed["unsubscribe"] = build_unsubscribe(
            unsubscribe_settings(os.environ), SystemClock(), AwsClients(), observer=observer
        )
    service: UnsubscribeService = _installed["unsubscribe"]
    return service


def feedback() -> FeedbackService:
    if "feedback" not in _installed:
        from shared.settings import feedback_settings

        _installed["feedback"] = build_feedback(feedback_settings(os.environ), AwsClients())
    service: FeedbackService = _installed["feedback"]
    return service


def build_rebuild(
    player_table: str,
    config_table: str,
    clock: Clock,
    clients: AwsClients,
    reorder_window: timedelta,
    dedupe_days: int,
) -> RebuildService:
    """A RebuildService writing into `player_table` (a fresh one), deciding with the config
    in `config_table`; its engines send, schedule and publish nothing (services/rebuild.py)."""
    from shared.adapters.config_store import ConfigStore
    from shared.adapters.game_pools import GamePools
    from shared.adapters.player_store import PlayerStore
    from shared.services.config_cache import ConfigCache
    from shared.services.engine import EngineService
    from shared.services.rebuild import CollectedAlerts, CollectedDeadLetters, RebuildService

    ddb = clients.client("dynamodb")
    target = PlayerStore(player_table, ddb)

    def make_engine(report: RebuildReport, as_of: datetime) -> EngineService:
        return EngineService(
            players=target,
            config=ConfigCache(ConfigStore(config_table, ddb)),
            dead_letters=CollectedDeadLetters(report),
            alerts=CollectedAlerts(report),
            clock=clock,
            dedupe_for=timedelta(days=dedupe_days),
            pools=GamePools(player_table, ddb),
            reorder_window=reorder_window,
            rebuild_as_of=as_of,
            withheld=RebuildService.withhold(report),
        )

    from shared.adapters.board_index import BoardIndex

    config = ConfigCache(ConfigStore(config_table, ddb))
    index = BoardIndex(player_table, ddb)

    def index_boards(player_id: str, state: PlayerState) -> None:
        boards = config.current().game.leaderboards.values()
        shards = {board.board_id: board.shards for board in boards}
        index.index_scores(player_id, state.version, state.boards, shards)

    return RebuildService(make_engine, target, index_boards)
