"""The journey graph: triggers, conditions, waits and actions, with cancels and cascades."""

from __future__ import annotations

from shared.console.journey import journey, rule_counts

from .conftest import call

NUDGE = {
    "rule_id": "no-deposit-nudge",
    "on": ["player.registered"],
    "match": {"player": {"deposit_count": [0]}},
    "then": [
        {
            "schedule": {
                "timer": "no-deposit-3d",
                "after": "P3D",
                "if": {"player": {"deposit_count": [0]}},
                "then": [{"send": {"template": "deposit-nudge", "channel": "email"}}],
            }
        }
    ],
}
CANCEL = {
    "rule_id": "deposit-cancels-nudge",
    "priority": 10,
    "on": ["wallet.deposit_succeeded"],
    "then": [{"cancel_timer": {"timer": "no-deposit-3d"}}],
}
BADGE = {
    "rule_id": "first-deposit-badge",
    "on": ["wallet.deposit_succeeded"],
    "then": [{"grant_badge": {"badge": "first-deposit"}}],
}
CELEBRATE = {
    "rule_id": "badge-mail",
    "on": ["engage.badge.granted"],
    "then": [{"cascade": {"template": "gold", "channels": ["push", "email"], "wait": "PT2H"}}],
}


def _by_id(graph):
    return {n["id"]: n for n in graph["nodes"]}


def test_a_rule_is_trigger_then_condition_then_wait_then_action():
    graph = journey([NUDGE])
    nodes = _by_id(graph)

    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    wait = next(n for n in nodes.values() if n["kind"] == "wait")
    send = next(n for n in nodes.values() if n["kind"] == "action")
    assert ("event:player.registered", "rule:no-deposit-nudge") in edges
    assert ("rule:no-deposit-nudge", wait["id"]) in edges
    assert (wait["id"], send["id"]) in edges
    assert wait["label"] == "wait P3D"
    assert "deposit_count" in wait["detail"]
    assert send["label"] == "send deposit-nudge by email"
    assert send["link"] == {"kind": "template", "search": "deposit-nudge#email#"}
    assert [nodes[i]["column"] for i in ("event:player.registered", "rule:no-deposit-nudge")] == [
        0,
        1,
    ]
    assert wait["column"] == 2
    assert send["column"] == 3


def test_a_cancel_timer_action_has_a_cancels_edge_to_the_timer_it_disarms():
    graph = journey([NUDGE, CANCEL])

    cancels = [e for e in graph["edges"] if e["kind"] == "cancels"]
    assert len(cancels) == 1
    assert cancels[0]["source"].startswith("action:deposit-cancels-nudge")
    assert cancels[0]["target"].startswith("wait:no-deposit-nudge")


def test_an_action_that_causes_an_event_another_rule_listens_to_is_linked_to_it():
    graph = journey([BADGE, CELEBRATE])

    emits = [e for e in graph["edges"] if e["kind"] == "emits"]
    assert [(e["source"].split(":")[1], e["target"]) for e in emits] == [
        ("first-deposit-badge", "event:engage.badge.granted")
    ]


def test_a_cascade_is_a_chain_of_sends_with_the_wait_on_the_edge():
    graph = journey([CELEBRATE])

    nxt = [e for e in graph["edges"] if e["kind"] == "next"]
    nodes = _by_id(graph)
    assert len(nxt) == 1
    assert nodes[nxt[0]["source"]]["label"] == "send gold by push"
    assert nodes[nxt[0]["target"]]["label"] == "send gold by email"
    assert nxt[0]["label"] == "not opened within PT2H"


class Answering:
    """A report source with a fixed answer."""

    def __init__(self, answer):
        self._answer = answer

    def answer(self, date_from, date_to, run):
        return self._answer


def test_rule_nodes_carry_the_reports_figures():
    report = {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "campaigns": [
            {"rule_id": "no-deposit-nudge", "reach": 40, "sends": {"email": 38},
             "suppressions": {"no_consent": 2}, "conversions": 5},
        ],
    }  # fmt: skip
    counts, source = rule_counts(Answering({"status": "done", **report}))

    graph = journey([NUDGE], counts)

    node = _by_id(graph)["rule:no-deposit-nudge"]
    assert node["counts"] == {"reach": 40, "sends": 38, "suppressed": 2, "conversions": 5}
    assert source == "event lake, UTC days 2026-11-01 to 2026-11-30"
    assert rule_counts(None) == ({}, None)
    # In AWS the report may still be running on Athena: no counts yet, and it says so.
    running, why = rule_counts(Answering({"status": "running", "run": "x", "done": 3}))
    assert running == {}
    assert "still running" in why


def test_the_api_draws_the_starter_rules_filtered_by_prefix(shared_stack):
    answer = call("GET", "/api/journey", role="viewer", query={"prefix": "no-deposit"})

    assert answer.status == 200
    ids = {n["id"] for n in answer.json["nodes"]}
    assert "rule:no-deposit-nudge" in ids
    assert "rule:welcome-email" not in ids
    both = call(
        "GET",
        "/api/journey",
        role="viewer",
        query={"rules": "no-deposit-nudge,deposit-cancels-nudge"},
    ).json
    assert any(e["kind"] == "cancels" for e in both["edges"])


def test_the_api_adds_report_counts_only_when_asked(stack):
    from shared.console import wiring as console_wiring

    report = {
        "from": "2026-11-01",
        "to": "2026-11-02",
        "campaigns": [
            {"rule_id": "welcome-email", "reach": 3, "sends": {"email": 3}, "conversions": 1}
        ],
    }
    console_wiring.services().reports = Answering({"status": "done", **report})

    plain = call("GET", "/api/journey", role="viewer", query={"prefix": "welcome"}).json
    counted = call(
        "GET", "/api/journey", role="viewer", query={"prefix": "welcome", "counts": "true"}
    ).json

    rule = next(n for n in counted["nodes"] if n["id"] == "rule:welcome-email")
    assert rule["counts"] == {"reach": 3, "sends": 3, "suppressed": 0, "conversions": 1}
    assert counted["counts_from"] == "event lake, UTC days 2026-11-01 to 2026-11-02"
    assert plain["counts_from"] is None
    assert next(n for n in plain["nodes"] if n["id"] == "rule:welcome-email")["counts"] == {}
