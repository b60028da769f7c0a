"""An in-process moto server on 127.0.0.1, provisioned, with a runtime on a virtual clock."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources as package_files
from typing import Any

from shared.adapters.config_store import RULE, SEGMENT, TEMPLATE, ConfigStore
from shared.adapters.lake_files import LocalLake
from shared.clock import FixedClock
from shared.domain.game.game_config import GAME_KINDS
from shared.local.provision import REGION, Resources, local_clients, provision
from shared.local.runtime import LocalRuntime

ACCOUNT = "123456789012"


def start_moto(port: int = 0) -> tuple[Any, str]:
    """Start moto's server bound to loopback only; returns (server, endpoint)."""
    from moto.server import ThreadedMotoServer

    from shared.local import moto_fixes

    moto_fixes.install()
    # moto's HTTP server logs every request; the story is what a user wants to read.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    return server, f"http://{host}:{bound_port}"


@dataclass
class Embedded:
    server: Any
    endpoint: str
    resources: Resources
    clock: FixedClock
    runtime: LocalRuntime

    @classmethod
    def start(cls, start: datetime, port: int = 0, reorder_window_seconds: int = 0) -> Embedded:
        server, endpoint = start_moto(port)
        return cls.on(server, endpoint, start, reorder_window_seconds)

    @classmethod
    def on(
        cls, server: Any, endpoint: str, start: datetime, reorder_window_seconds: int = 0
    ) -> Embedded:
        """Provision a fresh stack on an already running moto server (wiping what it held).

        `reorder_window_seconds` sets the engine's reorder window (0: decide at once)."""
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our loopback server
            pass
        clients = local_clients(endpoint)
        resources = replace(provision(clients), reorder_window_seconds=reorder_window_seconds)
        clock = FixedClock(start)
        runtime = LocalRuntime(endpoint, resources, clock)
        return cls(server, endpoint, resources, clock, runtime)

    def attach(self, recorder: Any, lake: LocalLake | None = None) -> None:
        """Rebuild the runtime's services so `recorder` observes engine, dispatch and timers."""
        self.runtime = LocalRuntime(
            self.endpoint,
            self.resources,
            self.clock,
            engine_observer=recorder,
            dispatch_observer=recorder,
            on_config_problem=recorder.config_problem,
            lake=lake or self.runtime.lake,
        )
        self.runtime.on_fire = recorder.timer_fired

    def stop(self) -> None:
        from shared import wiring

        if self.runtime.unsubscribe_server is not None:
            self.runtime.unsubscribe_server.stop()

        wiring.reset()
        self.server.stop()


def starter_items(name: str) -> list[dict[str, Any]]:
    text = package_files.files("shared.starter").joinpath(name).read_text(encoding="utf-8")
    items: list[dict[str, Any]] = json.loads(text)
    return items


def load_starter_config(store: ConfigStore, now: datetime, actor: str = "starter") -> int:
    """Validate and store the starter templates, game items and rules, then publish; returns
    the version."""
    for template in starter_items("templates.json"):
        store.put_template(template, actor=actor, now=now)
    # Game items first: rules refer to badges and wheels by id.
    game = package_files.files("shared.starter").joinpath("game")
    for kind in GAME_KINDS:
        source = game.joinpath(f"{kind}.json")
        if source.is_file():
            for item in json.loads(source.read_text(encoding="utf-8")):
                store.put_game(kind, item, actor=actor, now=now)
    for rule in starter_items("rules.json"):
        store.put_rule(rule, actor=actor, now=now)
    # Recorded like a console publish: the console's history starts at version 1, so a
    # rollback to the starter set works and drafts are compared against it.
    return store.publish_recorded(
        (RULE, TEMPLATE, SEGMENT, *GAME_KINDS), actor=actor, now=now, note="starter config"
    )


def sent_emails(embedded: Embedded) -> list[dict[str, Any]]:
    """What moto's SES accepted (same process as the server)."""
    from moto.backends import get_backend

    backend = get_backend("ses")[ACCOUNT][REGION]
    return [
        {"subject": m.subject, "body": m.body, "to": list(m.destinations.get("ToAddresses", []))}
        for m in backend.sent_messages
    ]


def sent_push(embedded: Embedded) -> list[dict[str, str]]:
    """What moto's SNS accepted as mobile push, per endpoint (the local push provider)."""
    from moto.backends import get_backend

    backend = get_backend("sns")[ACCOUNT][REGION]
    sent = []
    for endpoint in backend.platform_endpoints.values():
        for message in endpoint.messages.values():
            fcm = json.loads(json.loads(message)["GCM"])["notification"]
            sent.append(
                {
                    "platform": "ios" if endpoint.application.platform == "APNS" else "android",
                    "title": fcm["title"],
                    "body": fcm["body"],
                }
            )
    return sent


def sent_sms(embedded: Embedded) -> list[dict[str, str]]:
    """What moto's SNS accepted as SMS (the local SMS provider is SNS)."""
    from moto.backends import get_backend

    backend = get_backend("sns")[ACCOUNT][REGION]
    return [{"to": to, "text": text} for to, text in backend.sms_messages.values()]
