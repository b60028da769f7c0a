"""`engage` — run the engagement backend locally on moto, send events, inspect players.

    engage demo                      play the scripted story end to end and print it
    engage up [--port 4577]          run a local stack until Ctrl-C (state lives in memory);
                                     the console is served on port+2 (default 4579),
                                     the unsubscribe route on port+3 (default 4580),
                                     the player API on port+4 (default 4581)
    engage send FILE [FILE...]       put events (envelope JSON files) on the running stack
    engage player PLAYER_ID          profile, points ledger, pending timers, message log
    engage audit PLAYER_ID           suppressions, RG flags, exclusions and why
    engage duplicates                players sharing an email or phone with an earlier one
    engage advance DURATION          move virtual time (ISO 8601, e.g. P3D), firing due timers
    engage dlq                       what the engine refused, with reasons
    engage ses-feedback KIND PLAYER_ID OUTBOX_ID
                                     play SES: delivery|open|click|bounce|soft-bounce|
                                     complaint for a sent email (moto never sends feedback)
    engage rules validate FILE       check a rules (or templates) file, field by field
    engage rules load FILE           validate, store and publish rules on the running stack
    engage playbooks list            the shipped playbooks (welcome, vip, ...) and their rules
    engage playbooks load [NAME...]  validate, store and publish playbooks (all if none named)
    engage export-audience --segment S --format csv|google|meta [--out FILE]
                                     a segment's consenting members, hashed for ads, audited
    engage shop-popularity ORDERS    co-purchase popularity for recommendations (policy/shop)
    engage backtest --config DRAFT   replay the lake under the published config and a draft
    engage simulate --players N      the same engine over a synthetic population
    engage explain --player P        why did (or didn't) a player get a message
    engage up --reorder-window PT4M  hold events until 4 minutes old, as deployed (default off)
    engage rebuild [--as-of T] [--arm-timers]
                                     every player again from the bus archive, into a fresh
                                     table; sends, schedules and publishes nothing
    engage rebuild --queue-url Q --player-table T --config-table C
                                     the AWS recovery path (docs/deploy.md, Recovery)

Locally every client points at the moto server on 127.0.0.1. Only `engage seed --stack` and
`engage rebuild --queue-url` talk to AWS, with your own credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.local import stack_file
from shared.local.cli_stack import client_runtime as _client_runtime
from shared.local.cli_stack import control_get as _control_get
from shared.local.cli_stack import fail as _fail
from shared.local.cli_stack import need_stack as _need_stack

SES_KINDS = ("delivery", "open", "click", "bounce", "soft-bounce", "complaint")
LAKE_DIR = Path(".engage/lake")
DEFAULT_PORT = 4577


def _load_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)


# --- demo ---------------------------------------------------------------------------------


def cmd_demo(_: argparse.Namespace) -> int:
    import shutil

    from shared.adapters.lake_files import LocalLake
    from shared.local.demo import run_demo

    # The demo's story starts from an empty stack, so its lake starts empty too.
    shutil.rmtree(LAKE_DIR, ignore_errors=True)
    lake = LocalLake(LAKE_DIR)
    result = run_demo(lake=lake)
    result.embedded.stop()
    print(f"\nEvent lake: {len(lake.files())} Parquet files in {LAKE_DIR} (try `engage report`)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from shared.adapters.lake_files import LocalLake
    from shared.reports.figures import build_report
    from shared.reports.render import text_lines, write_html
    from shared.reports.rule_inputs import report_rules

    lake = LocalLake(args.lake)
    if not lake.files():
        return _fail(f"no lake files under {args.lake} (run `engage demo` or `engage up`)")
    rules = report_rules(_load_json(args.rules) if args.rules else starter_items_for_report())
    db = lake.connect()
    first, last = db.execute("SELECT min(dt), max(dt) FROM events").fetchone() or (None, None)
    date_from = date.fromisoformat(args.date_from or first or "1970-01-01")
    date_to = date.fromisoformat(args.date_to or last or "1970-01-01")
    report = build_report(
        lambda text: db.execute(text).fetchall(),
        rules.goals,
        date_from,
        date_to,
        progress=lambda step: print(f"... {step}", file=sys.stderr, flush=True),
        budgets=rules.budgets,
    )
    print("\n".join(text_lines(report)))
    page = write_html(report, Path(args.out))
    print(f"\nHTML report with charts: {page}")
    return 0


def starter_items_for_report() -> list[dict[str, Any]]:
    from shared.local.embedded import starter_items

    return starter_items("rules.json")


# --- validate -----------------------------------------------------------------------------


def cmd_rules_validate(args: argparse.Namespace) -> int:
    from shared.domain.core.config import MessageTemplate, parse_rule
    from shared.domain.language.validation import describe_validation_error

    items = _load_json(args.file)
    if not isinstance(items, list):
        items = [items]
    bad = 0
    for i, item in enumerate(items):
        is_template = isinstance(item, dict) and "template_id" in item
        name = (
            item.get("template_id" if is_template else "rule_id", f"#{i}")
            if isinstance(item, dict)
            else f"#{i}"
        )
        try:
            (MessageTemplate.model_validate if is_template else parse_rule)(item)
        except ValidationError as exc:
            bad += 1
            print(f"REFUSED {name}: {describe_validation_error(exc)}")
        else:
            print(f"ok      {name}")
    return 1 if bad else 0


# --- the long-running local stack -----------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    from shared.adapters.lake_files import LocalLake
    from shared.clock import FixedClock, SystemClock
    from shared.domain.basics.durations import DurationError, parse_duration
    from shared.local.demo import StoryRecorder
    from shared.local.embedded import Embedded, load_starter_config

    try:
        window = parse_duration(args.reorder_window) if args.reorder_window else None
    except DurationError as exc:
        return _fail(f"--reorder-window: {exc}")
    seconds = int(window.total_seconds()) if window is not None else 0
    if not 0 <= seconds <= 900:
        return _fail("--reorder-window: must be between PT0S (off) and PT15M")
    # The virtual clock starts at the real time, then only `engage advance` moves it.
    embedded = Embedded.start(
        SystemClock().now().replace(microsecond=0),
        port=args.port,
        reorder_window_seconds=seconds,
    )
    recorder = StoryRecorder(
        embedded.clock.now, lambda line: print(line, flush=True), start=embedded.clock.now()
    )
    embedded.attach(recorder, lake=LocalLake(LAKE_DIR))
    runtime = embedded.runtime
    if not args.empty:
        version = load_starter_config(runtime.config, embedded.clock.now())
        print(f"starter config published (version {version})")
    control = ThreadingHTTPServer(
        ("127.0.0.1", args.port + 1), _control_handler(runtime, embedded.clock)
    )
    threading.Thread(target=control.serve_forever, daemon=True).start()
    from shared.local.console_server import start_local_console

    console = start_local_console(runtime, port=args.port + 2)
    # Marketing emails link here; the route is the real unsubscribe handler.
    unsubscribe = runtime.serve_unsubscribe(port=args.port + 3)
    from shared.local.player_api_server import KEY_HEADER, start_local_player_api

    player_api = start_local_player_api(runtime, port=args.port + 4)
    info = {
        "endpoint": embedded.endpoint,
        "control": f"http://127.0.0.1:{args.port + 1}",
        "resources": json.loads(embedded.resources.to_json()),
    }
    stack_file.record(info)
    print(f"local stack up: moto {embedded.endpoint}, control http://127.0.0.1:{args.port + 1}")
    print(f"console: {console.url} (sign in with the dev login: any name, pick a role)")
    print(f"unsubscribe route: {unsubscribe.url}")
    print(f"player API: {player_api.url}/v1 (header {KEY_HEADER}: {player_api.key})")
    print("send events with `engage send FILE`; Ctrl-C stops (state is in memory only)")
    assert isinstance(embedded.clock, FixedClock)
    try:
        while True:
            runtime.pump()
            time.sleep(0.3)
    except KeyboardInterrupt:
        print("stopping")
    finally:
        control.shutdown()
        console.stop()
        player_api.stop()
        stack_file.forget(info)
        embedded.stop()
    return 0


def _control_handler(runtime: Any, clock: Any) -> type[BaseHTTPRequestHandler]:
    from shared.domain.basics.durations import DurationError, parse_duration

    class Control(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the stack's output to the story

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/pump":
                self._reply(200, {"handled": runtime.pump(), "now": clock.now()})
            elif self.path == "/advance":
                try:
                    delta = parse_duration(str(payload.get("by", "")))
                except DurationError as exc:
                    self._reply(400, {"error": str(exc)})
                    return
                fired = runtime.advance(delta)
                self._reply(200, {"now": clock.now(), "fired": [f.detail for f in fired]})
            elif self.path == "/rebuild":
                as_of = payload.get("as_of")
                try:
                    when = datetime.fromisoformat(as_of) if as_of else None
                except ValueError:
                    self._reply(400, {"error": f"as_of: not an ISO time: {as_of!r}"})
                    return
                if when is not None and when.tzinfo is None:
                    self._reply(400, {"error": "as_of: needs a time zone offset, e.g. +00:00"})
                    return
                table, report = runtime.rebuild(as_of=when, arm=bool(payload.get("arm_timers")))
                self._reply(200, {"table": table, **report.summary()})
            elif self.path == "/ses-feedback":
                try:
                    outcome = runtime.ses_feedback(
                        str(payload.get("kind")),
                        str(payload.get("player_id")),
                        str(payload.get("outbox_id")),
                    )
                except (KeyError, LookupError) as exc:
                    self._reply(400, {"error": str(exc)})
                    return
                self._reply(200, outcome)
            else:
                self._reply(404, {"error": f"no route {self.path}"})

        def do_GET(self) -> None:
            if self.path == "/now":
                self._reply(200, {"now": clock.now()})
            else:
                self._reply(404, {"error": f"no route {self.path}"})

    return Control


def _stack_now(info: dict[str, Any]) -> datetime:
    """The running stack's virtual time (it starts at the real time; `advance` moves it)."""
    url = info["control"] + "/now"
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - our loopback endpoint
        return datetime.fromisoformat(json.loads(resp.read())["now"])


def _control(info: dict[str, Any], path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - loopback control endpoint we started
        info["control"] + path,
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310
        result: dict[str, Any] = json.loads(resp.read())
        return result


def cmd_send(args: argparse.Namespace) -> int:
    from events.models import ContractError, parse_event

    info = _need_stack()
    view = _client_runtime(info)
    now = _stack_now(info)
    envelopes = []
    for path in args.files:
        envelope = _load_json(path)
        if args.now and isinstance(envelope, dict) and isinstance(envelope.get("detail"), dict):
            envelope["detail"]["occurred_at"] = now.isoformat()
        try:
            parsed = parse_event(envelope)
        except ContractError as exc:
            # Still sent: the engine's DLQ path is part of what a user may want to see.
            print(
                f"warning: {path} breaks the contract ({exc.reason}); "
                "the engine will park it in the DLQ"
            )
        else:
            for name, why in sorted(parsed.dropped_fields.items()):
                print(f"note: {path}: {name} will be dropped ({why}); the rest applies")
            age = now - parsed.occurred_at
            if age > timedelta(days=1):
                print(
                    f"note: {path} happened {age.days} days before the stack's clock, so "
                    "the timers it starts are already due; `engage send --now` dates it now"
                )
        envelopes.append(envelope)
    entries = [
        {
            "Source": e["source"],
            "DetailType": e["detail-type"],
            "Detail": json.dumps(e["detail"], default=str),
            "EventBusName": view.resources.bus_name,
        }
        for e in envelopes
    ]
    resp = view.clients.client("events").put_events(Entries=entries)
    print(
        f"put {len(entries)} event(s) on bus {view.resources.bus_name}; "
        f"failed: {resp['FailedEntryCount']}"
    )
    result = _control(info, "/pump")
    print(f"processed {result['handled']} record(s); see the `engage up` window for decisions")
    return 0


def cmd_player(args: argparse.Namespace) -> int:
    from shared.local.inspect import describe_player

    view = _client_runtime(_need_stack())
    for line in describe_player(view, args.player_id):
        print(line)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from shared.local.inspect import describe_audit

    view = _client_runtime(_need_stack())
    for line in describe_audit(view, args.player_id):
        print(line)
    return 0


def cmd_duplicates(_: argparse.Namespace) -> int:
    from shared.local.inspect import describe_duplicates

    view = _client_runtime(_need_stack())
    for line in describe_duplicates(view):
        print(line)
    return 0


def cmd_advance(args: argparse.Namespace) -> int:
    result = _control(_need_stack(), "/advance", {"by": args.duration})
    if "error" in result:
        return _fail(result["error"])
    print(f"virtual time is now {result['now']}; timers fired: {len(result['fired'])}")
    for detail in result["fired"]:
        print(f"  {detail['timer']} for {detail['player_id']}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    if args.queue_url:
        return _rebuild_on_aws(args)
    result = _control(
        _need_stack(), "/rebuild", {"as_of": args.as_of or None, "arm_timers": args.arm_timers}
    )
    if "error" in result:
        return _fail(result["error"])
    for line in rebuild_lines(result):
        print(line)
    return 0


def _rebuild_on_aws(args: argparse.Namespace) -> int:
    """The AWS recovery path: a replayed archive in a queue, into a fresh player table."""
    from shared.adapters.history_queue import QueueHistory
    from shared.clock import SystemClock
    from shared.wiring import AwsClients, build_rebuild

    missing = [
        f"--{n}" for n in ("player-table", "config-table") if not getattr(args, n.replace("-", "_"))
    ]
    if missing:
        return _fail(f"rebuild from a queue needs {' and '.join(missing)}")
    if not 0 <= args.reorder_window_seconds <= 900:
        return _fail("--reorder-window-seconds: must be between 0 (off) and 900")
    scheduling = ("schedule_group", "scheduler_role_arn", "bus_arn", "timer_dlq_arn")
    if args.arm_timers and not all(getattr(args, n) for n in scheduling):
        return _fail(
            "--arm-timers in AWS needs --schedule-group, --scheduler-role-arn, --bus-arn "
            "and --timer-dlq-arn (the stack's outputs)"
        )
    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of)
        except ValueError:
            return _fail(f"--as-of: not an ISO time: {args.as_of!r}")
        if as_of.tzinfo is None:
            return _fail("--as-of: needs a time zone offset, e.g. +00:00")
    clients = AwsClients()
    history = QueueHistory(clients.client("sqs"), args.queue_url)
    bodies = history.read()
    print(f"read {len(bodies)} replayed event(s) from the queue", flush=True)
    service = build_rebuild(
        args.player_table,
        args.config_table,
        SystemClock(),
        clients,
        timedelta(seconds=args.reorder_window_seconds),
        args.dedupe_days,
    )
    report = service.rebuild(bodies, as_of)
    if args.arm_timers:
        from shared.adapters.scheduler import TimerScheduler
        from shared.services.rebuild import arm_timers

        scheduler = TimerScheduler(
            clients.client("scheduler"),
            args.schedule_group,
            args.bus_arn,
            args.scheduler_role_arn,
            args.timer_dlq_arn,
        )
        arm_timers(report, scheduler, SystemClock().now())
    for line in rebuild_lines({"table": args.player_table, **report.summary()}):
        print(line)
    print(f"deleted {history.delete_read()} message(s) from the rebuild queue")
    return 0


def rebuild_lines(result: dict[str, Any]) -> list[str]:
    """The printed account of a rebuild: what it restored, and what it left undone."""
    lines = [
        f"rebuilt {result['players']} player(s) from {result['events']} archived event(s) "
        f"up to {result['as_of']} into table {result['table']}",
        "nothing was sent, scheduled or published; effects decided but not performed:",
    ]
    effects = result["effects_not_performed"] or {"(none)": 0}
    lines += [f"  {kind}: {count}" for kind, count in effects.items()]
    if result["refused"]:
        lines.append(f"refused (not parked again): {len(result['refused'])}")
        lines += [f"  {r['message_id']}: {r['reason']}" for r in result["refused"]]
    if result["alerts_not_sent"]:
        lines.append(f"compliance alerts not raised again: {result['alerts_not_sent']}")
    armed = "armed" if result["schedules_armed"] else "not armed (use --arm-timers)"
    lines.append(f"pending timers ({len(result['pending_timers'])}, {armed}):")
    lines += [
        f"  {t['player_id']}: {t['timer']} due {t['due_at']} (#{t['generation']})"
        for t in result["pending_timers"]
    ]
    if result["still_held"]:
        lines.append(f"events after the as-of time, left held: {result['still_held']}")
    return lines


def cmd_dlq(_: argparse.Namespace) -> int:
    from shared.local.runtime import read_dead_letters

    view = _client_runtime(_need_stack())
    letters = read_dead_letters(view.clients, view.resources)
    print(f"{len(letters)} message(s) in the engine DLQ")
    for letter in letters:
        print(f"  reason: {letter['reason']}")
    return 0


def cmd_ses_feedback(args: argparse.Namespace) -> int:
    body = {"kind": args.kind, "player_id": args.player_id, "outbox_id": args.outbox_id}
    try:
        result = _control(_need_stack(), "/ses-feedback", body)
    except urllib.error.HTTPError as exc:
        return _fail(json.loads(exc.read() or b"{}").get("error", str(exc)))
    if result.get("published"):
        print(f"SES {args.kind} -> {result['published']} (see `engage player {args.player_id}`)")
    else:
        print(f"SES {args.kind} skipped: {result.get('skipped')}")
    return 0


def cmd_rules_load(args: argparse.Namespace) -> int:
    info = _need_stack()
    if cmd_rules_validate(args) != 0:
        return _fail("nothing stored: fix the refused items first")
    view = _client_runtime(info)
    now = datetime.fromisoformat(str(_control_get(info, "/now")["now"]))
    for item in (
        _load_json(args.file)
        if isinstance(_load_json(args.file), list)
        else [_load_json(args.file)]
    ):
        if "template_id" in item:
            view.config.put_template(item, actor="cli", now=now)
        else:
            view.config.put_rule(item, actor="cli", now=now)
    print(f"published config version {view.config.publish()}")
    return 0


def cmd_playbooks_list(_: argparse.Namespace) -> int:
    from shared.playbooks import list_playbooks

    for playbook in list_playbooks():
        print(f"{playbook.name}: {playbook.description}")
        for rule in playbook.rules:
            print(f"    {rule['rule_id']}")
    return 0


def cmd_playbooks_load(args: argparse.Namespace) -> int:
    from shared.playbooks import PlaybookError, load_playbooks

    info = _need_stack()
    view = _client_runtime(info)
    now = datetime.fromisoformat(str(_control_get(info, "/now")["now"]))
    try:
        version = load_playbooks(view.config, args.names, actor="cli", now=now)
    except PlaybookError as exc:
        return _fail(f"nothing stored: {exc}")
    print(f"loaded {', '.join(args.names) or 'all playbooks'}; published config version {version}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    import boto3

    from shared.clock import SystemClock
    from shared.local.seed import SeedError, config_table_of, seed

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    try:
        table = args.config_table or config_table_of(session.client("cloudformation"), args.stack)
        seed(session.client("dynamodb"), table, SystemClock().now(), actor=args.actor)
    except SeedError as exc:
        return _fail(str(exc))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="engage", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="play the scripted story").set_defaults(func=cmd_demo)
    up = sub.add_parser("up", help="run a local stack until Ctrl-C")
    up.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="moto port (control uses port+1, the console port+2)",
    )
    up.add_argument("--empty", action="store_true", help="do not load the starter config")
    up.add_argument(
        "--reorder-window",
        default="",
        help="decide events once this old, in event-time order (e.g. PT4M, as deployed); "
        "default off locally so `engage send` shows its effect at once",
    )
    up.set_defaults(func=cmd_up)
    rebuild = sub.add_parser(
        "rebuild",
        help="rebuild every player from the bus archive into a fresh table; sends nothing",
    )
    rebuild.add_argument(
        "--as-of", default="", help="ISO time to rebuild up to (default: the latest event)"
    )
    rebuild.add_argument(
        "--arm-timers",
        action="store_true",
        help="also create the schedules of the pending timers (default: only list them)",
    )
    aws = rebuild.add_argument_group(
        "AWS (docs/deploy.md, Recovery): read a replayed archive from a queue"
    )
    aws.add_argument("--queue-url", default="", help="the rebuild queue the replay filled")
    aws.add_argument("--player-table", default="", help="the fresh player table to write")
    aws.add_argument("--config-table", default="", help="the stack's config table (read)")
    aws.add_argument(
        "--reorder-window-seconds",
        type=int,
        default=240,
        help="the engine's reorder window (cdk context reorder_window_seconds)",
    )
    aws.add_argument("--dedupe-days", type=int, default=400, help="cdk context dedupe_days")
    aws.add_argument("--schedule-group", default="", help="with --arm-timers")
    aws.add_argument("--scheduler-role-arn", default="", help="with --arm-timers")
    aws.add_argument("--bus-arn", default="", help="with --arm-timers")
    aws.add_argument("--timer-dlq-arn", default="", help="with --arm-timers")
    rebuild.set_defaults(func=cmd_rebuild)
    send = sub.add_parser("send", help="put events on the running local bus")
    send.add_argument("files", nargs="+")
    send.add_argument(
        "--now",
        action="store_true",
        help="date each event at the stack's current (virtual) time, so its timers start now",
    )
    send.set_defaults(func=cmd_send)
    player = sub.add_parser("player", help="inspect a player")
    player.add_argument("player_id")
    player.set_defaults(func=cmd_player)
    audit = sub.add_parser("audit", help="a player's suppression / RG audit trail")
    audit.add_argument("player_id")
    audit.set_defaults(func=cmd_audit)
    sub.add_parser(
        "duplicates", help="players sharing an email or phone with an earlier player"
    ).set_defaults(func=cmd_duplicates)
    advance = sub.add_parser("advance", help="move virtual time forward, e.g. P3D or PT2H")
    advance.add_argument("duration")
    advance.set_defaults(func=cmd_advance)
    sub.add_parser("dlq", help="show refused events and why").set_defaults(func=cmd_dlq)
    report = sub.add_parser("report", help="KPIs, attribution and charts from the event lake")
    report.add_argument("--lake", default=str(stack_file.lake_dir()))
    report.add_argument("--rules", help="rules JSON (for goals); default: the starter rules")
    report.add_argument("--from", dest="date_from", help="first UTC day (default: lake's first)")
    report.add_argument("--to", dest="date_to", help="last UTC day (default: lake's last)")
    report.add_argument("--out", default=".engage/report", help="folder for report.html")
    report.set_defaults(func=cmd_report)
    feedback = sub.add_parser("ses-feedback", help="play SES feedback on a sent email")
    feedback.add_argument("kind", choices=sorted(SES_KINDS))
    feedback.add_argument("player_id")
    feedback.add_argument("outbox_id", help="the message's outbox id (engage player shows it)")
    feedback.set_defaults(func=cmd_ses_feedback)
    rules = sub.add_parser("rules", help="validate or load rules/templates")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    validate = rules_sub.add_parser("validate")
    validate.add_argument("file")
    validate.set_defaults(func=cmd_rules_validate)
    load = rules_sub.add_parser("load")
    load.add_argument("file")
    load.set_defaults(func=cmd_rules_load)
    seed_cmd = sub.add_parser(
        "seed",
        help="load the starter config into a DEPLOYED stack (your AWS credentials)",
    )
    target = seed_cmd.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="stack name, e.g. Engage-prod (reads ConfigTableName)")
    target.add_argument("--config-table", help="the config table's name")
    seed_cmd.add_argument("--region")
    seed_cmd.add_argument("--profile")
    seed_cmd.add_argument("--actor", default="seed", help="who the audit trail names")
    seed_cmd.set_defaults(func=cmd_seed)

    playbooks = sub.add_parser("playbooks", help="list or load the shipped playbooks")
    playbooks_sub = playbooks.add_subparsers(dest="playbooks_command", required=True)
    playbooks_sub.add_parser("list").set_defaults(func=cmd_playbooks_list)
    from shared.local.cli_shop import add_parsers as add_shop_parsers

    add_shop_parsers(sub)
    load_playbooks = playbooks_sub.add_parser("load")
    load_playbooks.add_argument("names", nargs="*", metavar="NAME")
    load_playbooks.set_defaults(func=cmd_playbooks_load)
    from shared.local.cli_backtest import add_parsers as add_backtest_parsers

    add_backtest_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
