"""PlayerStore's identity items on moto: the contact index, the duplicate list, a merge's
two-player transaction and the move of reversible earns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.player_store import Commit, PlayerStore
from shared.domain.core.state import PlayerState
from shared.domain.players.contacts import ContactClaim, DuplicateContact, contact_key
from shared.errors import ConflictError

T = datetime(2026, 11, 24, 9, tzinfo=UTC)
KEY = contact_key("email", "anna@example.org")


def commit(player: str, version: int = 0, **kw: Any) -> Commit:
    state = PlayerState.new(player)
    return Commit(
        player_id=player,
        state=state,
        expected_version=version,
        event_ids=[],
        ledger=[],
        outbox=[],
        **kw,
    )


def test_given_a_claimed_contact_when_loaded_then_its_owner_is_known(players: PlayerStore) -> None:
    players.commit(
        commit("p-1", contacts=[ContactClaim(KEY, "email", "p-1", T)]), T, timedelta(days=1)
    )
    assert players.load("p-2", [], contacts=[KEY]).state.contact_owners == {KEY: "p-1"}
    assert players.load("p-2", [], contacts=["unclaimed"]).state.contact_owners == {"unclaimed": ""}
    assert players.contact_owners([KEY, "unclaimed"]) == {KEY: "p-1", "unclaimed": ""}


def test_given_a_contact_claimed_by_another_when_claimed_then_conflict_and_nothing_written(
    players: PlayerStore,
) -> None:
    players.commit(
        commit("p-1", contacts=[ContactClaim(KEY, "email", "p-1", T)]), T, timedelta(days=1)
    )
    with pytest.raises(ConflictError):
        players.commit(
            commit("p-2", contacts=[ContactClaim(KEY, "email", "p-2", T)]), T, timedelta(days=1)
        )
    assert players.state("p-2") is None
    assert players.contact_owners([KEY]) == {KEY: "p-1"}


def test_given_an_owned_contact_when_its_owner_claims_it_again_then_it_is_harmless(
    players: PlayerStore,
) -> None:
    claim = ContactClaim(KEY, "email", "p-1", T)
    players.commit(commit("p-1", contacts=[claim]), T, timedelta(days=1))
    players.commit(commit("p-1", version=1, contacts=[claim]), T, timedelta(days=1))
    assert players.contact_owners([KEY]) == {KEY: "p-1"}


def test_given_a_duplicate_when_recorded_then_it_is_listed_and_resolving_removes_it(
    players: PlayerStore,
) -> None:
    found = DuplicateContact(KEY, "email", "p-2", "p-1", T)
    players.commit(commit("p-2", duplicates=[found]), T, timedelta(days=1))
    assert players.duplicates() == [found]
    players.commit(commit("p-2", version=1, resolved=[found]), T, timedelta(days=1))
    assert players.duplicates() == []


def test_given_a_merge_when_either_version_is_stale_then_neither_player_is_written(
    players: PlayerStore,
) -> None:
    players.commit(commit("p-2"), T, timedelta(days=1))
    with pytest.raises(ConflictError):
        players.commit_merge(commit("p-1"), commit("p-2", version=0), T, timedelta(days=1))
    assert players.state("p-1") is None
    assert players.state("p-2").version == 1  # type: ignore[union-attr]


def test_given_many_reversible_earns_when_moved_then_all_move_in_chunks_and_none_stay(
    players: PlayerStore, ddb: Any, player_table: str
) -> None:
    for i in range(60):  # more than one chunk (50 pairs)
        ddb.put_item(
            TableName=player_table,
            Item={
                "pk": {"S": "PLAYER#p-2"},
                "sk": {"S": f"REV#deposit:d-{i}#e-{i}"},
                "entry": {"S": "{}"},
                "expires_at": {"N": "1900000000"},
            },
        )
    assert players.move_reversible("p-2", "p-1") == 60
    assert players.items("p-2", "REV#") == []
    moved = players.items("p-1", "REV#")
    assert len(moved) == 60
    assert all(item["expires_at"] == {"N": "1900000000"} for item in moved)
    assert players.move_reversible("p-2", "p-1") == 0  # idempotent
