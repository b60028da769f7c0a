"""The shop's player API restock route and its two batch commands, through the real handlers
on moto (issue 18, docs/ecommerce.md): `GET /v1/players/{id}/restock`, `engage
export-audience` (hashed, consent-checked, audited) and `engage shop-popularity`."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.export_audit import ExportAuditLog
from shared.local import stack_file
from shared.local.cli import _control_handler, main
from shared.local.embedded import Embedded
from shared.services.config_cache import ConfigCache
from tests.e2e.test_shop import BEANS, GRINDER, MUG, env, publish, purchase, registered
from tests.player_api.conftest import call, serving_player_api


def day(offset: int, hour: int = 8) -> str:
    """`hour`:00 UTC, `offset` days from the stack's start day (2026-11-24)."""
    return f"{(date(2026, 11, 24) + timedelta(days=offset)).isoformat()}T{hour:02d}:00:00+00:00"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def api(stack: Embedded) -> Iterator[Embedded]:
    """The stack with the player API's services on its tables and virtual clock."""
    with serving_player_api(stack):
        yield stack


@pytest.fixture
def engage(stack: Embedded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The stack as `engage up` leaves it for other commands: its control endpoint on
    loopback and its record where the CLI looks; the commands run from another folder."""
    control = ThreadingHTTPServer(("127.0.0.1", 0), _control_handler(stack.runtime, stack.clock))
    threading.Thread(target=control.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("ENGAGE_STATE_DIR", str(tmp_path / "state"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    host, port = control.server_address[:2]
    stack_file.record(
        {
            "endpoint": stack.endpoint,
            "control": f"http://{host!s}:{port}",
            "resources": json.loads(stack.resources.to_json()),
        }
    )
    yield elsewhere
    control.shutdown()
    control.server_close()


# --- GET /v1/players/{id}/restock ------------------------------------------------------------


def test_the_restock_route_predicts_each_repeat_purchase_at_the_players_own_interval(api):
    rt = api.runtime
    beans, mug, grinder = ({**p, "quantity": 1} for p in (BEANS, MUG, GRINDER))
    rt.put_events([registered("p-coffee", at="2026-10-01T09:00:00+00:00")])
    # Beans every 14 days (then once after 10: the median gap, 14 days, is the interval);
    # a mug 3 days apart, so due 3 days after the last; the grinder once, so no prediction.
    orders = [(-38, [beans]), (-24, [beans, grinder]), (-10, [beans]), (0, [beans])]
    orders += [(-6, [mug]), (-3, [mug])]
    rt.put_events(
        [purchase("p-coffee", f"o-{d}-{lines[-1]['sku']}", lines, at=day(d)) for d, lines in orders]
    )
    rt.pump()

    answer = call("GET", "/v1/players/p-coffee/restock")

    assert answer.status == 200
    body = answer.json
    assert body["player_id"] == "p-coffee"
    # Soonest first: the mug was due at 08:00 today (the clock says 09:00), the beans are not.
    assert [(r["product"]["sku"], r["predicted_at"], r["due"]) for r in body["restocks"]] == [
        ("mug", "2026-11-24T08:00:00Z", True),
        ("beans-1kg", "2026-12-08T08:00:00Z", False),
    ]
    assert body["restocks"][1]["product"]["name"] == "Espresso beans 1 kg"
    assert body["restocks"][1]["product"]["price"] == "24.90"

    api.clock.set(api.clock.now() + timedelta(days=14))
    later = call("GET", "/v1/players/p-coffee/restock").json["restocks"]
    assert [(r["product"]["sku"], r["due"]) for r in later] == [("mug", True), ("beans-1kg", True)]

    unknown = call("GET", "/v1/players/p-nobody/restock")
    assert (unknown.status, unknown.json["error"]) == (404, "unknown_player")


# --- engage export-audience -------------------------------------------------------------------


def reg(player: str, email: str | None, consents: dict[str, bool], phone: str | None = None):
    detail: dict[str, Any] = {
        "player_id": player,
        "event_id": f"reg-{player}",
        "occurred_at": day(0, 7),
        "locale": "en",
        "time_zone": "Europe/Berlin",
        "country": "DE",
        "consents": consents,
    }
    if email:
        detail["email"] = email
    if phone:
        detail["phone"] = phone
    return env("player.registered", **detail)


def test_export_audience_as_csv_writes_hashed_contacts_of_consenting_buyers_only(
    stack, engage, capsys
):
    rt = stack.runtime
    publish(stack)
    rt.config.put_segment(
        {"segment_id": "buyers", "match": {"player": {"purchase_count": [{"numeric": [">", 0]}]}}},
        actor="t",
        now=stack.clock.now(),
    )
    rt.config.publish()
    buyers = ["p-both", "p-sms", "p-email", "p-none", "p-revoked", "p-excluded"]
    rt.put_events(
        [
            reg("p-both", " First.Last@GMail.com", {"email": True, "sms": True}, "+4915112345678"),
            reg("p-sms", "sms@example.org", {"sms": True}, "+4915187654321"),
            reg("p-email", "Mail@Example.org", {"email": True}, "+4915100000001"),
            reg("p-none", "none@example.org", {}, "+4915100000002"),
            reg("p-revoked", "revoked@example.org", {"email": True}),
            reg("p-excluded", "ex@example.org", {"email": True}),
            reg("p-browser", "browse@example.org", {"email": True}),  # never bought
        ]
    )
    rt.put_events(
        [purchase(p, f"o-{p}", [MUG], at=day(0, 8)) for p in buyers]
        + [
            env(
                "player.consent_changed",
                player_id="p-revoked",
                event_id="consent-revoked",
                occurred_at=day(0, 8),
                channel="email",
                granted=False,
            ),
            env("rg.self_excluded", player_id="p-excluded", event_id="ex-1", occurred_at=day(0, 8)),
        ]
    )
    rt.pump()
    out = engage / "buyers.csv"

    args = ["--segment", "buyers", "--format", "csv", "--out", str(out), "--actor", "alice"]
    code = main(["export-audience", *args])

    assert code == 0
    text = out.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "email_sha256,phone_sha256"
    # Generic CSV: Google's email rule (trimmed, lower case, no dots in a gmail local part)
    # and E.164 phones; only the channels each player consented to.
    assert sorted(lines[1:]) == sorted(
        [
            f"{sha('firstlast@gmail.com')},{sha('+4915112345678')}",
            f",{sha('+4915187654321')}",
            f"{sha('mail@example.org')},",
        ]
    )
    assert lines[1:] == sorted(lines[1:])  # the same audience always gives the same file
    for clear in ("@", "example.org", "4915", "First"):
        assert clear not in text
    summary = capsys.readouterr().err
    assert "exported 3 of 6 members of buyers as csv" in summary
    assert "2 no marketing consent" in summary
    assert "1 responsible gaming" in summary
    assert "by alice" in summary

    (record,) = ExportAuditLog(
        stack.resources.config_table, rt.clients.client("dynamodb")
    ).entries()
    assert (record.actor, record.segment, record.format, record.rows, record.members) == (
        "alice",
        "buyers",
        "csv",
        3,
        6,
    )
    assert record.excluded == {"no marketing consent": 2, "responsible gaming": 1}
    assert record.file_sha256 == sha(text)

    assert main(["export-audience", "--segment", "nobody", "--format", "csv"]) == 2
    assert "no segment 'nobody' is published" in capsys.readouterr().err


# --- engage shop-popularity -------------------------------------------------------------------


def test_shop_popularity_publishes_co_purchases_that_the_recommendations_route_then_uses(
    api, engage, capsys
):
    rt = api.runtime
    publish(api, policies=[{"policy_id": "shop", "interest_days": 7}])
    mug, grinder, beans = ({**p, "quantity": 1} for p in (MUG, GRINDER, BEANS))
    history = [[beans, mug], [beans, grinder], [beans, mug], [mug]]
    orders = engage / "orders.jsonl"
    orders.write_text(
        "".join(
            json.dumps(purchase(f"p-{n}", f"o-{n}", lines, at=day(-1))) + "\n"
            for n, lines in enumerate(history)
        ),
        encoding="utf-8",
    )
    rt.put_events([registered("p-r"), purchase("p-r", "o-r1", [BEANS], at=day(0, 9))])
    rt.pump()
    assert call("GET", "/v1/players/p-r/recommendations").json["products"] == []

    code = main(["shop-popularity", str(orders)])

    assert code == 0
    assert "4 orders, 3 products; published config version" in capsys.readouterr().out
    shop = ConfigCache(rt.config).current().shop
    assert shop.interest_days == 7  # the rest of policy/shop is kept
    assert (shop.popularity.orders, shop.popularity.bought) == (
        4,
        {"beans-1kg": 3, "mug": 3, "grinder-c2": 1},
    )
    assert shop.popularity.computed_at == api.clock.now()
    # Bought with beans: the mug twice, the grinder once.
    picks = call("GET", "/v1/players/p-r/recommendations").json["products"]
    assert [p["sku"] for p in picks] == ["mug", "grinder-c2"]

    orders.write_text(
        json.dumps(purchase("p-x", "o-x", [beans])) + "\n" + '{"detail-type": "shop.purchase"}\n',
        encoding="utf-8",
    )
    assert main(["shop-popularity", str(orders)]) == 2
    assert "entry 2" in capsys.readouterr().err
