"""Identity and data hygiene through the real handlers (docs/identity.md): registrations
salvaged, duplicate contacts, player.merged, and does-not-contain conditions."""

import json
import threading

from shared import wiring
from shared.adapters.player_store import PlayerStore
from shared.domain.players.contacts import contact_key
from shared.local.embedded import sent_emails
from shared.local.inspect import describe_duplicates
from shared.metric_names import CONTACTS_DUPLICATE, FIELDS_DROPPED, PLAYERS_MERGED
from shared.services.engine_batch import InboundRecord
from shared.wiring import build_engine
from tests.e2e.test_invariants import deposit, env, invoke_engine, registered

T = "2026-11-24T09:00:00+00:00"


def merged(into, other, event_id="merge-1", at="2026-11-24T12:00:00+00:00"):
    return env(
        "player.merged", player_id=into, event_id=event_id, occurred_at=at, merged_player_id=other
    )


def self_excluded(player, at="2026-11-24T10:00:00+00:00"):
    return env("rg.self_excluded", player_id=player, event_id=f"rg-{player}", occurred_at=at)


def consent(player, channel, granted, at="2026-11-24T10:00:00+00:00"):
    return env(
        "player.consent_changed",
        player_id=player,
        event_id=f"consent-{player}-{channel}",
        occurred_at=at,
        channel=channel,
        granted=granted,
    )


def ledger_sum(rt, player):
    return sum(line.points for line in rt.players.ledger(player))


# --- registration salvage ------------------------------------------------------------------------


def test_a_registration_with_a_blank_name_and_a_bad_email_keeps_the_player_and_says_why(started):
    rt = started.runtime
    bad = registered("p-s1")
    bad["detail"] |= {"first_name": "   ", "email": "p-s1@", "phone": "0044 7700"}
    rt.put_events([bad])
    rt.pump()

    state = rt.players.state("p-s1")
    assert state is not None
    assert state.profile.registered_at is not None
    assert (state.profile.first_name, state.profile.email, state.profile.phone) == (None,) * 3
    assert state.profile.country == "UA"
    dropped = {
        a.inputs["field"]: a.reason
        for a in rt.players.audit("p-s1")
        if a.category == "field_dropped"
    }
    assert set(dropped) == {"first_name", "email", "phone"}
    assert "blank" in dropped["first_name"]
    assert "not an email address" in dropped["email"]
    # Reasons never echo the value that was refused.
    assert all("p-s1@" not in reason and "7700" not in reason for reason in dropped.values())
    assert rt.metrics.total(FIELDS_DROPPED) == 3
    assert rt.dead_letters() == []


def test_a_registration_missing_a_required_field_still_goes_to_the_dlq(started):
    rt = started.runtime
    bad = registered("p-s2")
    del bad["detail"]["country"]
    rt.put_events([bad])
    rt.pump()
    assert rt.players.state("p-s2") is None
    (letter,) = rt.dead_letters()
    assert "country" in letter["reason"]


def test_a_placeholder_first_name_is_dropped_and_the_welcome_greets_with_the_fallback(started):
    rt = started.runtime
    tagged = registered("p-s3")
    tagged["detail"]["first_name"] = "[FIRST_NAME]"
    rt.put_events([tagged])
    rt.pump()
    (email,) = [m for m in sent_emails(started) if "p-s3@example.org" in m["to"]]
    assert email["subject"] == "Welcome, friend!"
    assert "FIRST_NAME" not in email["body"]
    assert "[" not in email["subject"]


# --- duplicate contacts --------------------------------------------------------------------------


def test_a_second_player_on_the_same_email_gets_no_welcome_and_is_listed_as_a_duplicate(started):
    rt = started.runtime
    rt.put_events([registered("p-d1", email="Shared@Example.org")])
    rt.pump()
    rt.put_events([registered("p-d2", event_id="reg-2", email=" SHARED@example.org ")])
    rt.pump()

    welcomes = [m for m in sent_emails(started) if m["subject"].startswith("Welcome")]
    assert len(welcomes) == 1
    second = rt.players.state("p-d2")
    assert second is not None
    assert second.profile.shared_contacts == {"email": "p-d1"}
    suppressed = [a.reason for a in rt.players.audit("p-d2") if a.category == "suppression"]
    assert any(r.startswith("send welcome by email: duplicate_contact") for r in suppressed)
    (found,) = rt.players.duplicates()
    assert (found.player_id, found.first_player_id, found.channel) == ("p-d2", "p-d1", "email")
    assert found.key == contact_key("email", "shared@example.org")
    assert rt.metrics.total(CONTACTS_DUPLICATE) == 1
    listing = describe_duplicates(rt)
    assert listing[0] == "Duplicate contacts: 1"
    assert "p-d2 shares its email with p-d1 (first)" in listing[1]
    assert "@" not in "".join(listing)


def test_the_contact_index_and_duplicate_list_hold_no_address_in_clear(started):
    rt = started.runtime
    rt.put_events(
        [registered("p-d3", email="a@example.org"), registered("p-d4", email="a@example.org")]
    )
    rt.pump()
    (found,) = rt.players.duplicates()
    assert {found.player_id, found.first_player_id} == {"p-d3", "p-d4"}
    ddb = rt.clients.client("dynamodb")
    items = ddb.scan(TableName=started.resources.player_table)["Items"]
    index = [i for i in items if not i["pk"]["S"].startswith("PLAYER#")]
    assert {i["pk"]["S"].split("#")[0] for i in index} == {"CONTACT", "DUPLICATES"}
    assert all("@" not in str(item) for item in index)


def test_two_lambdas_registering_one_email_at_once_leave_one_owner_and_one_duplicate(started):
    settings = started.resources.engine_settings()
    ddb = started.runtime.clients.client("dynamodb")
    rival = build_engine(settings, started.clock, started.runtime.clients)
    raced = threading.Event()

    class RacingStore(PlayerStore):
        def commit(self, commit, now, dedupe_for):
            if not raced.is_set():
                raced.set()
                # Between our read of the index and our claim, another Lambda claims it.
                body = json.dumps(
                    registered("p-rival", event_id="reg-rival", email="x@example.org")
                )
                rival.process([InboundRecord("rival", body)])
            super().commit(commit, now, dedupe_for)

    engine = build_engine(settings, started.clock, started.runtime.clients)
    engine._players = RacingStore(settings.player_table, ddb)
    wiring.install(engine=engine)
    mine = registered("p-mine", event_id="reg-mine", email="x@example.org")
    assert invoke_engine(mine) == {"batchItemFailures": []}

    (found,) = started.runtime.players.duplicates()
    assert (found.player_id, found.first_player_id) == ("p-mine", "p-rival")
    assert started.runtime.players.state("p-mine").profile.shared_contacts == {"email": "p-rival"}


# --- player.merged -------------------------------------------------------------------------------


def _two_players(rt):
    rt.put_events(
        [
            registered("p-m1", event_id="reg-m1"),
            registered("p-m2", event_id="reg-m2"),
            deposit("p-m1", "dep-1", amount="30.00"),
            deposit("p-m2", "dep-2", amount="20.00"),
            consent("p-m1", "email", False),
            self_excluded("p-m2"),
        ]
    )
    rt.pump()


def test_a_merge_moves_points_with_ledger_lines_and_both_balances_equal_their_ledgers(started):
    rt = started.runtime
    _two_players(rt)
    before = rt.players.state("p-m1").points_balance + rt.players.state("p-m2").points_balance
    rt.put_events([merged("p-m1", "p-m2")])
    rt.pump()

    survivor, alias = rt.players.state("p-m1"), rt.players.state("p-m2")
    assert survivor.points_balance == before == ledger_sum(rt, "p-m1")
    assert alias.points_balance == 0 == ledger_sum(rt, "p-m2")
    assert alias.merged_into == "p-m1"
    assert survivor.merged_from == ["p-m2"]
    assert [line.kind for line in rt.players.ledger("p-m2")][-1] == "merge"
    assert alias.profile.email is None  # the alias keeps no contact data
    assert rt.metrics.total(PLAYERS_MERGED) == 1


def test_a_merge_keeps_the_stricter_consent_and_either_sides_exclusion(started):
    rt = started.runtime
    _two_players(rt)
    rt.put_events([merged("p-m1", "p-m2")])
    rt.pump()
    survivor = rt.players.state("p-m1")
    assert survivor.profile.consents.email is False  # p-m1 opted out, p-m2 had consented
    assert [e.kind for e in survivor.rg.exclusions] == ["self_exclusion"]  # p-m2's
    # The exclusion applies: a later deposit earns the survivor no bonus points.
    points = survivor.points_balance
    rt.put_events([deposit("p-m1", "dep-3", at="2026-11-24T13:00:00+00:00")])
    rt.pump()
    assert rt.players.state("p-m1").points_balance == points


def test_a_merge_cancels_the_merged_players_timers_and_the_survivor_keeps_its_own(started):
    rt = started.runtime
    rt.put_events([registered("p-t1", event_id="reg-t1"), registered("p-t2", event_id="reg-t2")])
    rt.pump()
    theirs = {t.schedule_name for t in rt.players.state("p-t2").timers.values()}
    ours = dict(rt.players.state("p-t1").timers)
    assert "no-deposit-3d" in ours
    assert theirs
    rt.put_events([merged("p-t1", "p-t2")])
    rt.pump()
    assert rt.players.state("p-t2").timers == {}
    survivor = rt.players.state("p-t1")
    # Same timers as before (same generations: its own were not re-armed).
    assert survivor.timers == ours
    scheduled = {name for _, name, _ in rt.pending_schedules()}
    assert not scheduled & theirs
    assert {t.schedule_name for t in ours.values()} <= scheduled


def test_a_timer_only_the_merged_player_had_is_re_armed_on_the_survivor(started):
    rt = started.runtime
    rt.put_events(
        [
            registered("p-r1", event_id="reg-r1"),
            deposit("p-r1", "dep-r1"),  # cancels p-r1's nudge
            registered("p-r2", event_id="reg-r2"),
        ]
    )
    rt.pump()
    assert "no-deposit-3d" not in rt.players.state("p-r1").timers
    rt.put_events([merged("p-r1", "p-r2")])
    rt.pump()
    survivor = rt.players.state("p-r1")
    moved = survivor.timers["no-deposit-3d"]
    assert moved.due_at.isoformat() == "2026-11-27T09:00:00+00:00"
    assert {name for _, name, _ in rt.pending_schedules()} >= {moved.schedule_name}


def test_later_events_for_the_merged_id_are_applied_to_the_survivor(started):
    rt = started.runtime
    _two_players(rt)
    rt.put_events([merged("p-m1", "p-m2")])
    rt.pump()
    rt.put_events([deposit("p-m2", "dep-late", amount="10.00", at="2026-11-24T14:00:00+00:00")])
    rt.pump()
    survivor, alias = rt.players.state("p-m1"), rt.players.state("p-m2")
    assert survivor.profile.deposit_count == 3
    assert alias.profile.deposit_count == 0
    assert alias.points_balance == 0
    assert rt.players.ledger("p-m2")[-1].kind == "merge"


def test_a_replayed_merge_and_a_replayed_earlier_event_change_nothing(started):
    rt = started.runtime
    _two_players(rt)
    rt.put_events([merged("p-m1", "p-m2")])
    rt.pump()
    snapshot = (
        rt.players.state("p-m1").model_dump(),
        rt.players.state("p-m2").model_dump(),
        [e.entry_id for e in rt.players.ledger("p-m1")],
        [e.entry_id for e in rt.players.ledger("p-m2")],
    )
    rt.put_events([merged("p-m1", "p-m2"), merged("p-m1", "p-m2", event_id="merge-again")])
    rt.put_events([deposit("p-m2", "dep-2", amount="20.00")])  # applied to p-m2 before the merge
    rt.pump()
    again = (
        rt.players.state("p-m1").model_dump(),
        rt.players.state("p-m2").model_dump(),
        [e.entry_id for e in rt.players.ledger("p-m1")],
        [e.entry_id for e in rt.players.ledger("p-m2")],
    )
    assert again[1:] == snapshot[1:]
    assert again[0]["points_balance"] == snapshot[0]["points_balance"]
    assert again[0]["merged_from"] == ["p-m2"]


def test_a_merge_of_a_duplicate_contact_clears_the_duplicate_and_moves_the_index(started):
    rt = started.runtime
    rt.put_events([registered("p-c1", email="same@example.org")])
    rt.pump()
    rt.put_events([registered("p-c2", event_id="reg-c2", email="same@example.org")])
    rt.pump()
    # The operator merges the first account into the second (the one the player uses).
    rt.put_events([merged("p-c2", "p-c1")])
    rt.pump()
    survivor = rt.players.state("p-c2")
    assert survivor.profile.shared_contacts == {}
    assert rt.players.duplicates() == []  # resolved by the merge
    ddb = rt.clients.client("dynamodb")
    key = {
        "pk": {"S": f"CONTACT#{contact_key('email', 'same@example.org')}"},
        "sk": {"S": "CONTACT"},
    }
    item = ddb.get_item(TableName=started.resources.player_table, Key=key)["Item"]
    assert item["player_id"]["S"] == "p-c2"


def test_merging_a_player_already_merged_elsewhere_is_refused_to_the_dlq(started):
    rt = started.runtime
    rt.put_events(
        [registered("p-x1"), registered("p-x2", event_id="r2"), registered("p-x3", event_id="r3")]
    )
    rt.pump()
    rt.put_events([merged("p-x1", "p-x2")])
    rt.pump()
    rt.put_events([merged("p-x3", "p-x2", event_id="merge-2")])
    rt.pump()
    (letter,) = rt.dead_letters()
    assert "p-x2 was merged into p-x1 already" in letter["reason"]


# --- does-not-contain ----------------------------------------------------------------------------

NOT_DISLIKED = {
    "rule_id": "login-bonus-unless-disliked",
    "on": ["player.logged_in"],
    "match": {"player": {"disliked_subjects": [{"does-not-contain": "reward:login-bonus"}]}},
    "then": [{"award_points": {"points": 7}}],
}


def survey_down(player, at):
    return env(
        "survey.answered",
        player_id=player,
        event_id=f"survey-{player}",
        occurred_at=at,
        survey_id="bonus-feedback",
        kind="thumbs",
        answer="down",
        subject="reward:login-bonus",
    )


def login(player, event_id, at):
    return env("player.logged_in", player_id=player, event_id=event_id, occurred_at=at)


def test_a_does_not_contain_condition_skips_a_player_who_disliked_the_reward(started):
    rt = started.runtime
    rt.config.put_rule(NOT_DISLIKED, actor="test", now=started.clock.now())
    rt.config.publish()
    rt.put_events(
        [
            registered("p-n1", event_id="reg-n1"),
            registered("p-n2", event_id="reg-n2"),
            survey_down("p-n2", "2026-11-24T09:30:00+00:00"),
            login("p-n1", "login-n1", "2026-11-24T10:00:00+00:00"),
            login("p-n2", "login-n2", "2026-11-24T10:00:00+00:00"),
        ]
    )
    rt.pump()
    bonus = {
        p: [line.points for line in rt.players.ledger(p) if line.rule_id == NOT_DISLIKED["rule_id"]]
        for p in ("p-n1", "p-n2")
    }
    assert bonus == {"p-n1": [7], "p-n2": []}


def test_a_deposit_of_the_merged_player_reversed_after_the_merge_claws_back_from_the_survivor(
    started,
):
    rt = started.runtime
    rt.put_events(
        [
            registered("p-v1", event_id="reg-v1"),
            registered("p-v2", event_id="reg-v2"),
            deposit("p-v2", "dep-v2", amount="40.00"),
        ]
    )
    rt.pump()
    earned = sum(line.points for line in rt.players.ledger("p-v2") if line.event_id == "dep-v2")
    assert earned > 0
    rt.put_events([merged("p-v1", "p-v2")])
    rt.pump()
    assert rt.players.items("p-v2", "REV#") == []
    assert rt.players.items("p-v1", "REV#")
    balance = rt.players.state("p-v1").points_balance
    reversal = env(
        "wallet.deposit_reversed",
        player_id="p-v2",
        event_id="rev-v2",
        occurred_at="2026-11-24T15:00:00+00:00",
        deposit_id="d-dep-v2",
        reason="chargeback",
    )
    rt.put_events([reversal])
    rt.pump()
    survivor = rt.players.state("p-v1")
    assert survivor.points_balance == balance - earned == ledger_sum(rt, "p-v1")
    assert ledger_sum(rt, "p-v2") == 0
    assert rt.players.items("p-v1", "REV#") == []


def _now_registered(rt, player, event_id, email, at):
    event = registered(player, event_id=event_id, email=email)
    event["detail"]["occurred_at"] = at.isoformat()
    return event


def test_with_the_reorder_window_on_held_registrations_still_claim_contacts_once(live):
    # Given the window as deployed: both registrations are held, then decided in order
    from datetime import timedelta

    rt = live.runtime
    now = live.clock.now()
    rt.put_events([_now_registered(rt, "p-w2", "reg-w2", "both@example.org", now)])
    rt.put_events(
        [_now_registered(rt, "p-w1", "reg-w1", "both@example.org", now - timedelta(seconds=5))]
    )
    rt.pump()
    assert rt.players.duplicates() == []  # nothing decided yet
    rt.advance(timedelta(minutes=4))

    welcomes = [m for m in sent_emails(live) if m["subject"].startswith("Welcome")]
    assert len(welcomes) == 1
    (found,) = rt.players.duplicates()
    assert found.channel == "email"
    assert {found.player_id, found.first_player_id} == {"p-w1", "p-w2"}


def test_with_the_reorder_window_on_events_of_a_merged_id_are_held_by_the_survivor(live):
    from datetime import timedelta

    rt = live.runtime
    _two_players(rt)
    rt.put_events([merged("p-m1", "p-m2")])
    rt.pump()
    rt.advance(timedelta(minutes=4))
    now = live.clock.now()
    rt.put_events([deposit("p-m2", "dep-late", amount="10.00", at=now.isoformat())])
    rt.pump()
    assert rt.players.state("p-m1").profile.deposit_count == 2  # held by the survivor
    rt.advance(timedelta(minutes=4))

    survivor, alias = rt.players.state("p-m1"), rt.players.state("p-m2")
    assert survivor.profile.deposit_count == 3
    assert alias.profile.deposit_count == 0
