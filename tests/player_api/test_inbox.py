"""The inbox routes against moto: newest first, paging, the unread filter, expiry by the
injected clock, marking read (idempotent, 404s), a bad player id, auth and OpenAPI."""

from __future__ import annotations

from datetime import timedelta

from .conftest import PLAYER, call, deliver, seen

INBOX = f"/v1/players/{PLAYER}/inbox"


def ids(answer) -> list[str]:
    return [m["message_id"] for m in answer.json["messages"]]


def test_given_messages_when_listing_then_live_ones_come_newest_first_without_contact_data(
    stack,
):
    deliver(stack, "older", minutes_ago=30)
    deliver(stack, "newer", minutes_ago=5)

    answer = call("GET", INBOX)

    assert answer.status == 200
    assert ids(answer) == ["newer", "older"]
    assert answer.json["next_cursor"] is None
    first = answer.json["messages"][0]
    assert first["subject"] == "subject newer"
    assert first["read"] is False
    assert not {"email", "phone", "to", "devices"} & set(first)
    assert answer.headers["Cache-Control"] == "no-store"


def test_given_an_expired_message_not_yet_removed_by_ttl_when_listing_then_it_is_left_out(stack):
    deliver(stack, "expired", minutes_ago=120, lives_for=timedelta(hours=1))
    deliver(stack, "live", minutes_ago=1)

    assert ids(call("GET", INBOX)) == ["live"]

    stack.clock.advance(timedelta(days=8))
    assert ids(call("GET", INBOX)) == []


def test_given_more_messages_than_a_page_when_following_the_cursor_then_each_comes_once(stack):
    for n in range(7):
        deliver(stack, f"m{n}", minutes_ago=100 - n)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        answer = call("GET", INBOX, query=query)
        assert answer.status == 200
        assert len(answer.json["messages"]) <= 3
        seen += ids(answer)
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break

    assert seen == [f"m{n}" for n in range(6, -1, -1)]
    assert pages == 3


def test_given_a_page_size_over_fifty_or_a_forged_cursor_then_400(stack):
    assert call("GET", INBOX, query={"limit": "51"}).status == 400
    assert call("GET", INBOX, query={"limit": "0"}).status == 400
    # A cursor must name an inbox sort key ("STATE" base64url-encoded is refused).
    assert call("GET", INBOX, query={"cursor": "U1RBVEU"}).status == 400
    assert call("GET", INBOX, query={"cursor": "%%%"}).status == 400


def test_given_a_read_message_when_listing_unread_then_only_unread_ones_come(stack):
    deliver(stack, "a", minutes_ago=3)
    deliver(stack, "b", minutes_ago=2)
    deliver(stack, "c", minutes_ago=1)

    assert call("POST", f"{INBOX}/b/read").status == 200

    assert ids(call("GET", INBOX, query={"unread": "true"})) == ["c", "a"]
    everything = call("GET", INBOX).json["messages"]
    assert [(m["message_id"], m["read"]) for m in everything] == [
        ("c", False),
        ("b", True),
        ("a", False),
    ]


def test_when_marking_read_twice_then_both_succeed_and_it_stays_read(stack):
    deliver(stack, "m1")

    first = call("POST", f"{INBOX}/m1/read")
    second = call("POST", f"{INBOX}/m1/read")

    assert first.status == second.status == 200
    assert second.json == {"player_id": PLAYER, "message_id": "m1", "read": True}
    assert stack.runtime.players.inbox(PLAYER)[0].read is True


def test_when_marking_an_unknown_expired_or_other_players_message_then_404(stack):
    deliver(stack, "gone", minutes_ago=120, lives_for=timedelta(hours=1))
    deliver(stack, "theirs", player_id="p-2002")

    for message_id in ("nope", "gone", "theirs"):
        answer = call("POST", f"{INBOX}/{message_id}/read")
        assert answer.status == 404, message_id
        assert answer.json["error"] == "not_found"
    # The conditional update never created a bare item for the unknown id.
    assert [m.message_id for m in stack.runtime.players.inbox(PLAYER)] == ["gone"]


def test_given_a_player_id_outside_the_contract_then_400(stack):
    for bad in ("-starts-with-dash", "has%20space", "x" * 129):
        answer = call("GET", f"/v1/players/{bad}/inbox")
        assert answer.status == 400, bad
        assert answer.json["error"] == "bad_request"


def test_given_no_iam_verified_caller_then_401_before_any_route_runs(stack):
    answer = call("GET", INBOX, signed=False)

    assert answer.status == 401
    assert answer.json["error"] == "unauthenticated"


def test_the_summary_counts_unread_live_messages_and_has_no_contact_data(stack):
    seen(stack)
    deliver(stack, "a")
    deliver(stack, "b")
    call("POST", f"{INBOX}/a/read")

    answer = call("GET", f"/v1/players/{PLAYER}/summary")

    assert answer.status == 200
    assert answer.json == {
        "player_id": PLAYER,
        "points_balance": 0,
        "lifecycle_stage": "new",
        "segments": [],
        "unread_count": 1,
    }


def test_the_openapi_document_describes_the_routes_and_the_player_id_pattern(stack):
    answer = call("GET", "/v1/openapi.json")

    assert answer.status == 200
    doc = answer.json
    # The document and the gateway's routes (infra) are the same set, so no route is
    # served without being documented or documented without being routed.
    from infra.constructs.player_api import ROUTES

    routed = {(path, str(method.value).lower()) for path, method in ROUTES}
    documented = {(path, verb) for path, ops in doc["paths"].items() for verb in ops}
    assert documented | {("/v1/openapi.json", "get")} == routed
    [param] = doc["paths"]["/v1/players/{player_id}/summary"]["get"]["parameters"]
    assert param["schema"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
