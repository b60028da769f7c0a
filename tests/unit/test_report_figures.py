"""Report figures equal an independent pure-Python computation over the same raw lake rows."""

from __future__ import annotations

import json
import math
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.lake_files import LocalLake
from shared.domain.measurement.budgets import RuleBudget
from shared.domain.measurement.goals import Goal
from shared.domain.outputs.lake import DecisionRow, EventRow, LakeRow
from shared.reports.figures import build_report
from shared.reports.uplift import Uplift

START = datetime(2026, 10, 1)
PLAYERS = [f"p{i}" for i in range(4)]
RULES = ["r-a", "r-b"]
GOALS = {r: Goal(on=["wallet.deposit_succeeded"], window=timedelta(days=5)) for r in RULES}
ACTIVITY = {"player.logged_in", "wallet.deposit_succeeded"}
# Money budgets per local day in a zone whose midnight is not UTC's: refusals are assigned
# to the budget's own day, and bonus money is valued by the budget (a point 2.5, a spin 40 cents).
BUDGET_ZONE = ZoneInfo("Europe/Berlin")
BUDGETS = {
    r: RuleBudget(
        unit="money",
        campaign=10_000,
        period="day",
        time_zone="Europe/Berlin",
        point_value=Decimal("2.5"),
        spin_value=Decimal(40),
    )
    for r in RULES
}


# A coarse grid of instants over four weeks, so touches collide (ties), windows overlap and
# some players go quiet for the 14 days that make a send a reactivation attempt.
def _half_day(n: int) -> datetime:
    return START + timedelta(hours=12 * n)


moments = st.integers(min_value=0, max_value=56).map(_half_day)


@st.composite
def histories(draw):
    rows: list[LakeRow] = []
    for n, player in enumerate(PLAYERS):
        if draw(st.booleans()):
            rows.append(_event(f"reg-{n}", player, "player.registered", draw(moments)))
    for n in range(draw(st.integers(4, 14))):
        player, kind, at = (
            draw(st.sampled_from(PLAYERS)),
            draw(st.sampled_from(sorted(ACTIVITY))),
            draw(moments),
        )
        amount = float(draw(st.integers(1, 500))) if kind == "wallet.deposit_succeeded" else None
        rows.append(_event(f"ev-{n}", player, kind, at, amount))
    for n in range(draw(st.integers(0, 2))):
        rows.append(
            _event(
                f"cc-{n}",
                draw(st.sampled_from(PLAYERS)),
                "player.consent_changed",
                draw(moments),
                granted=False,
            )
        )
    for n in range(draw(st.integers(4, 12))):
        action = draw(
            st.sampled_from(["send", "send", "ledger", "suppression", "held_out", "bonus_granted"])
        )
        player, rule, at = (
            draw(st.sampled_from(PLAYERS)),
            draw(st.sampled_from(RULES)),
            draw(moments),
        )
        if action == "send":
            rows.append(
                DecisionRow(
                    f"send:{n}",
                    player,
                    f"trig-{n}",
                    rule,
                    at,
                    "send",
                    channel=draw(st.sampled_from(["email", "push", "sms", "inbox"])),
                    template="t",
                    category=draw(st.sampled_from(["marketing", "service"])),
                )
            )
        elif action == "ledger":
            kind = draw(st.sampled_from(["earn", "spend"]))
            points = draw(st.integers(1, 100)) * (1 if kind == "earn" else -1)
            rows.append(
                DecisionRow(
                    f"ledger:{n}",
                    player,
                    f"trig-{n}",
                    rule,
                    at,
                    "ledger",
                    category=kind,
                    points=points,
                )
            )
        elif action == "bonus_granted":
            rows.append(
                DecisionRow(
                    f"audit:{n}",
                    player,
                    f"trig-{n}",
                    rule,
                    at,
                    action,
                    spins=draw(st.integers(1, 5)),
                    reason="granted",
                )
            )
        else:
            reasons = ["no email consent", "control_group"]
            if action == "suppression":
                reasons += ["budget_campaign", "budget_player"]
            # Refusals at any minute, so hour buckets and local-midnight periods both matter.
            refused_at = at + timedelta(minutes=draw(st.integers(0, 12 * 60 - 1)))
            rows.append(
                DecisionRow(
                    f"audit:{n}",
                    player,
                    f"trig-{n}",
                    rule,
                    refused_at,
                    action,
                    reason=draw(st.sampled_from(reasons)),
                )
            )
    # A player going quiet around the 14-day line before a marketing send, and maybe coming
    # back around the 7-day line after it: the reactivation figure's boundaries.
    for n in range(draw(st.integers(0, 2))):
        player = draw(st.sampled_from(PLAYERS))
        quiet_from = draw(st.integers(0, 10))
        sent = quiet_from + draw(st.integers(26, 30))  # 13 to 15 days later (half-days)
        rows.append(_event(f"q-{n}", player, "player.logged_in", _half_day(quiet_from)))
        rows.append(
            DecisionRow(
                f"qsend:{n}",
                player,
                f"qtrig-{n}",
                draw(st.sampled_from(RULES)),
                _half_day(sent),
                "send",
                channel="email",
                template="t",
                category="marketing",
            )
        )
        if draw(st.booleans()):
            back = sent + draw(st.integers(12, 17))  # 6 to 8.5 days after the send
            rows.append(_event(f"qb-{n}", player, "player.logged_in", _half_day(back)))
    # Two touches before one deposit inside both windows: last and first touch disagree.
    for n in range(draw(st.integers(0, 2))):
        player, deposit_at = draw(st.sampled_from(PLAYERS)), draw(st.integers(6, 56))
        for k, gap in enumerate(sorted(draw(st.sets(st.integers(1, 9), min_size=2, max_size=2)))):
            rows.append(
                DecisionRow(
                    f"bsend:{n}:{k}",
                    player,
                    f"btrig-{n}-{k}",
                    draw(st.sampled_from(RULES)),
                    _half_day(deposit_at - gap),
                    "send",
                    channel="push",
                    template="t",
                    category="marketing",
                )
            )
        amount = float(draw(st.integers(1, 500)))
        rows.append(
            _event(f"bdep-{n}", player, "wallet.deposit_succeeded", _half_day(deposit_at), amount)
        )
    # At-least-once delivery: some rows arrive twice.
    rows += draw(st.lists(st.sampled_from(rows), max_size=3)) if rows else []
    return rows


def _event(event_id, player, kind, at, amount=None, **detail):
    body = {"player_id": player, "event_id": event_id, **detail}
    return EventRow(
        event_id,
        player,
        kind,
        "test",
        at,
        amount,
        "EUR" if amount else None,
        json.dumps(body, sort_keys=True, separators=(",", ":")),
    )


def _reference(rows):
    """The same definitions as docs/reports.md, computed straight from the rows."""
    events = {r.event_id: r for r in rows if isinstance(r, EventRow)}.values()
    decisions = {r.row_id: r for r in rows if isinstance(r, DecisionRow)}.values()
    out: dict = {
        "reach": defaultdict(set),
        "sends": defaultdict(int),
        "supp": defaultdict(int),
        "bonus": defaultdict(int),
        "spins": defaultdict(int),
        "ran_out": {},
        "conv": defaultdict(int),
        "rev": defaultdict(float),
        "first_conv": defaultdict(int),
        "treated": defaultdict(int),
        "treated_conv": defaultdict(int),
        "control": defaultdict(int),
        "control_conv": defaultdict(int),
    }
    for d in decisions:
        if d.action in ("send", "ledger", "bonus_granted"):
            out["reach"][d.rule_id].add(d.player_id)
        if d.action == "bonus_granted":
            out["spins"][d.rule_id] += d.spins
        if d.action == "suppression" and d.reason.startswith("budget_"):
            # The budget's own period: the local (Europe/Berlin) day of the refusal.
            at = d.occurred_at.replace(tzinfo=UTC).astimezone(BUDGET_ZONE)
            run = out["ran_out"].setdefault((d.rule_id, d.reason, at.date().isoformat()), [at, 0])
            run[0], run[1] = min(run[0], at), run[1] + 1
        if d.action == "send":
            out["sends"][(d.rule_id, d.channel)] += 1
        if d.action in ("suppression", "held_out"):
            out["supp"][(d.rule_id, f"{d.action}:{d.reason}")] += 1
        if d.action == "ledger" and d.category == "earn":
            out["bonus"][d.rule_id] += d.points
    touches = {
        (d.player_id, d.rule_id, d.event_id, d.occurred_at) for d in decisions if d.action == "send"
    }
    for e in events:
        if e.detail_type != "wallet.deposit_succeeded":
            continue
        qualifying = [
            (at, rule)
            for player, rule, _, at in touches
            if player == e.player_id and at < e.occurred_at <= at + timedelta(days=5)
        ]
        if qualifying:
            # Last touch: the latest instant, ties to the lowest rule; first touch: the earliest.
            last = min(qualifying, key=lambda t: (-t[0].timestamp(), t[1]))[1]
            out["conv"][last] += 1
            out["rev"][last] += e.amount or 0.0
            out["first_conv"][min(qualifying)[1]] += 1
    # Uplift arms: a touched player from their first touch by the rule, a held-out one from
    # when they would first have been touched; converted = a deposit in (then, then + 5 d].
    deposits = [e for e in events if e.detail_type == "wallet.deposit_succeeded"]

    def _converted(player, since):
        return any(
            e.player_id == player and since < e.occurred_at <= since + timedelta(days=5)
            for e in deposits
        )

    for arm, action in (("treated", "send"), ("control", "held_out")):
        since: dict = {}
        for d in decisions:
            if d.action == action:
                key = (d.rule_id, d.player_id)
                since[key] = min(since.get(key, d.occurred_at), d.occurred_at)
        for (rule, player), at in since.items():
            out[arm][rule] += 1
            out[arm + "_conv"][rule] += _converted(player, at)
    active_days = defaultdict(set)
    for e in events:
        if e.detail_type in ACTIVITY:
            active_days[e.player_id].add(e.occurred_at.date())
    last = date(2026, 12, 1)
    out["active"] = len(active_days)
    out["churned"] = sum(1 for days in active_days.values() if (last - max(days)).days >= 30)
    registered = {e.player_id for e in events if e.detail_type == "player.registered"}
    out["registered"] = len(registered)
    out["revenue"] = sum(
        e.amount or 0
        for e in events
        if e.detail_type == "wallet.deposit_succeeded" and e.player_id in registered
    )
    out["awarded"] = sum(
        d.points for d in decisions if d.action == "ledger" and d.category == "earn"
    )
    out["redeemed"] = -sum(
        d.points for d in decisions if d.action == "ledger" and d.category == "spend"
    )
    marketed = defaultdict(list)
    for d in decisions:
        if d.action == "send" and d.category == "marketing":
            marketed[d.player_id].append(d.occurred_at)
    out["marketed"] = len(marketed)
    out["unsubscribed"] = len(
        {
            e.player_id
            for e in events
            if e.detail_type == "player.consent_changed"
            and e.player_id in marketed
            and e.occurred_at > min(marketed[e.player_id])
        }
    )
    earners = {d.player_id for d in decisions if d.action == "ledger" and d.category == "earn"}
    out["participants"] = len(set(active_days) & earners)
    # Retention: registration week (Monday) -> {-1: size, n: active in week n after}.
    reg_day: dict[str, date] = {}
    for e in events:
        if e.detail_type == "player.registered":
            day = e.occurred_at.date()
            reg_day[e.player_id] = min(day, reg_day.get(e.player_id, day))
    retention: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for player, first in reg_day.items():
        cohort = (first - timedelta(days=first.weekday())).isoformat()
        retention[cohort][-1].add(player)
        for day in active_days.get(player, ()):
            if day >= first:
                retention[cohort][(day - first).days // 7].add(player)
    out["retention"] = {c: {w: len(p) for w, p in weeks.items()} for c, weeks in retention.items()}
    # Reactivation: a marketing send 14+ days after the player's last activity; reactivated
    # when they are active again within 7 days of it.
    lapsed, back = set(), set()
    for player, sent_at in marketed.items():
        days = active_days.get(player, set())
        for day in {t.date() for t in sent_at}:
            before = [d for d in days if d < day]
            after = [d for d in days if d >= day]
            if before and (day - max(before)).days >= 14:
                lapsed.add(player)
                if after and (min(after) - day).days <= 7:
                    back.add(player)
    out["lapsed"], out["back"] = len(lapsed), len(back)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_report_figures_equal_an_independent_computation_over_the_raw_rows(rows):
    with tempfile.TemporaryDirectory() as folder:
        lake = LocalLake(folder)
        lake.add(rows)
        lake.flush()
        db = lake.connect()
        report = build_report(
            lambda q: db.execute(q).fetchall(),
            GOALS,
            date(2026, 9, 1),
            date(2026, 12, 1),
            budgets=BUDGETS,
        )
    ref = _reference(rows)

    for rule in RULES:
        campaign = report.campaigns.get(rule)
        assert (campaign.reach if campaign else 0) == len(ref["reach"][rule])
        assert (campaign.points_awarded if campaign else 0) == ref["bonus"][rule]
        assert (campaign.spins_granted if campaign else 0) == ref["spins"][rule]
        if campaign:
            money = BUDGETS[rule].point_value * ref["bonus"][rule]
            money += BUDGETS[rule].spin_value * ref["spins"][rule]
            assert campaign.bonus_money == math.ceil(money)
        ran_out = {
            (run.reason, run.period): (run.first_refused_at, run.refusals)
            for run in (campaign.budget_exhausted if campaign else [])
        }
        assert ran_out == {
            (reason, period): (at.astimezone(UTC), n)
            for (r, reason, period), (at, n) in ref["ran_out"].items()
            if r == rule
        }
        assert (campaign.conversions if campaign else 0) == ref["conv"][rule]
        assert abs((campaign.revenue if campaign else 0) - ref["rev"][rule]) < 1e-6
        assert (campaign.first_touch_conversions if campaign else 0) == ref["first_conv"][rule]
        uplift = campaign.uplift if campaign else None
        if ref["control"][rule]:
            assert uplift == Uplift(
                ref["treated"][rule],
                ref["treated_conv"][rule],
                ref["control"][rule],
                ref["control_conv"][rule],
            )
        else:
            assert uplift is None
        for channel in ("email", "push", "sms", "inbox"):
            assert (campaign.sends.get(channel, 0) if campaign else 0) == ref["sends"][
                (rule, channel)
            ]
        for reason in (
            "suppression:no email consent",
            "suppression:control_group",
            "suppression:budget_campaign",
            "suppression:budget_player",
            "held_out:no email consent",
            "held_out:control_group",
        ):
            assert (campaign.suppressions.get(reason, 0) if campaign else 0) == ref["supp"][
                (rule, reason)
            ]
    assert (report.active_players, report.churned) == (ref["active"], ref["churned"])
    assert report.registered == ref["registered"]
    assert abs(report.revenue - ref["revenue"]) < 1e-6
    assert (report.points_awarded, report.points_redeemed) == (ref["awarded"], ref["redeemed"])
    assert (report.marketed, report.unsubscribed) == (ref["marketed"], ref["unsubscribed"])
    assert report.loyalty_participants == ref["participants"]
    assert report.retention == ref["retention"]
    assert (report.lapsed_targeted, report.reactivated) == (ref["lapsed"], ref["back"])
