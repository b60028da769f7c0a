"""`engage export-audience` and `engage shop-popularity`: the shop's batch commands.

engage export-audience --segment S --format csv|google|meta [--out FILE] [--actor NAME]
    a segment's consenting members, SHA-256 hashed for an ads platform, audited
engage shop-popularity ORDERS_FILE
    co-purchase popularity from shop.purchase events (JSON lines or a JSON array of
    envelopes), published as config `policy/shop` for recommendations
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.domain.outputs.audience import FORMATS


def _envelopes(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        yield from json.loads(text, parse_float=Decimal)
        return
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line, parse_float=Decimal)


def cmd_export_audience(args: argparse.Namespace) -> int:
    from shared.clock import FixedClock
    from shared.local.cli_stack import client_runtime, control_get, fail, need_stack
    from shared.services.audience_export import UnknownSegment
    from shared.wiring import build_audience_exporter

    info = need_stack()
    view = client_runtime(info)
    now = datetime.fromisoformat(str(control_get(info, "/now")["now"]))
    exporter = build_audience_exporter(
        view.resources.player_table, view.resources.config_table, view.clients, FixedClock(now)
    )
    try:
        export = exporter.export(args.segment, args.format, actor=args.actor)
    except UnknownSegment as exc:
        return fail(str(exc))
    if args.out:
        Path(args.out).write_text(export.text, encoding="utf-8")
    else:
        sys.stdout.write(export.text)
    record = export.record
    excluded = ", ".join(f"{n} {why}" for why, n in record.excluded.items()) or "none"
    print(
        f"exported {record.rows} of {record.members} members of {record.segment} as "
        f"{record.format} (left out: {excluded}); audited as {record.export_id} by "
        f"{record.actor}",
        file=sys.stderr,
    )
    return 0


def cmd_shop_popularity(args: argparse.Namespace) -> int:
    from events.models import ContractError, ShopPurchase, parse_event
    from shared.adapters.config_store import ConfigStore
    from shared.domain.commerce.recommendations import build_popularity
    from shared.local.cli_stack import client_runtime, control_get, fail, need_stack
    from shared.services.config_cache import ConfigCache

    info = need_stack()
    view = client_runtime(info)
    now = datetime.fromisoformat(str(control_get(info, "/now")["now"]))
    orders = []
    for i, envelope in enumerate(_envelopes(Path(args.orders)), start=1):
        try:
            event = parse_event(envelope)
        except ContractError as exc:
            return fail(f"{args.orders} entry {i}: {exc.reason}")
        if isinstance(event, ShopPurchase) and event.products:
            orders.append(event.products)
    popularity = build_popularity(orders, computed_at=now)
    store: ConfigStore = view.config
    current = ConfigCache(store).current().shop
    body = current.model_copy(update={"popularity": popularity}).model_dump(mode="json")
    store.put_policy({"policy_id": "shop", **body}, actor="cli", now=now)
    version = store.publish()
    print(
        f"{popularity.orders} orders, {len(popularity.products)} products; "
        f"published config version {version}"
    )
    return 0


def add_parsers(sub: Any) -> None:
    export = sub.add_parser(
        "export-audience", help="a segment's consenting members, hashed for ads, audited"
    )
    export.add_argument("--segment", required=True)
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument(
        "--actor", default=getpass.getuser(), help="who exports, for the audit (default: you)"
    )
    export.set_defaults(func=cmd_export_audience)
    popularity = sub.add_parser(
        "shop-popularity", help="co-purchase popularity from orders, for recommendations"
    )
    popularity.add_argument("orders", help="shop.purchase envelopes: JSON lines or an array")
    popularity.set_defaults(func=cmd_shop_popularity)
