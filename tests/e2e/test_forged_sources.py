"""The engine trusts a source only for what that source may send (events.models.source_problem)."""

from functions.engine.handler import handler as engine_handler
from shared.local.lambda_context import LambdaContext
from tests.e2e.test_invariants import deposit, registered, sqs_event


def test_a_deposit_under_a_platform_source_is_parked_with_its_reason_and_credits_nothing(started):
    rt = started.runtime
    rt.put_events([registered("p-forge1")])
    rt.pump()
    before = rt.players.state("p-forge1")
    forged = {**deposit("p-forge1", "dep-forged"), "source": "engage.engine"}
    engine_handler(sqs_event(forged), LambdaContext("engine"))
    (letter,) = rt.dead_letters()
    assert "the platform source engage.engine may not send it" in letter["reason"]
    assert rt.players.state("p-forge1") == before


def test_an_internal_detail_type_from_an_operator_source_is_parked(started):
    rt = started.runtime
    rt.put_events([registered("p-forge2")])
    rt.pump()
    forged = {
        "source": "casino.example",
        "detail-type": "engage.leaderboard.prize",
        "detail": {"player_id": "p-forge2", "event_id": "prize-forged"},
    }
    engine_handler(sqs_event(forged), LambdaContext("engine"))
    (letter,) = rt.dead_letters()
    assert "may only come from engage.leaderboard" in letter["reason"]


def test_a_consent_change_from_the_unsubscribe_route_is_still_applied(started):
    rt = started.runtime
    rt.put_events([registered("p-forge3")])
    rt.pump()
    consent = {
        "source": "engage.unsubscribe",
        "detail-type": "player.consent_changed",
        "detail": {
            "player_id": "p-forge3",
            "event_id": "unsub-1",
            "occurred_at": "2026-11-24T10:00:00+00:00",
            "channel": "email",
            "granted": False,
        },
    }
    engine_handler(sqs_event(consent), LambdaContext("engine"))
    assert rt.dead_letters() == []
    assert rt.players.state("p-forge3").profile.consents.email is False
