"""DynamoDB player table: state item, event markers, ledger lines and outbox items.

Item layout (partition key `pk` = "PLAYER#<id>", sort key `sk`):
- `STATE`                      the PlayerState, compressed JSON (state_codec.py), version-checked
- `EVENT#<event_id>`           "this event was applied" marker, expires after the dedupe window:
                               for the platform's own events and game commands; an operator
                               event is recorded in the state item's `seen` window instead
- `SEEN#<utc day>#<version>`   digests of applied operator events moved out of that window
                               (seen_window.py), expire after the dedupe window; a page of
                               digests the loaded window held is `...#<version>#<moved>`
- `LEDGER#P#<seq>`             a page of ledger lines, moved out of the state item's tail
                               (ledger_tail.py: the newest lines live in the state item)
- `LEDGER#<utc time>#<id>`     one points movement per item: the format before the tail;
                               still read, no longer written
- `OUTBOX#<id>`                one effect for dispatch (the stream delivers its INSERT)
- `AUDIT#<utc time>#<id>`      a suppression, RG flag or exclusion, kept for its retention
- `INBOX#<utc time>#<id>`      an in-app message, until it expires
- `REV#<source>#<entry id>`    an earn that `<source>` (e.g. deposit:<id>) can still reverse,
                               until its reversal window ends (TTL); read only by a reversal
- `BOARD#<board>#<period>`     the player's leaderboard entry (board_items.py), written
                               from the stream by the board index (board_index.py)

Outside the player partitions (docs/identity.md), keyed by hashes, never by an address:
- pk `CONTACT#<key>`, sk `CONTACT`  the contact index: which player registered it first
- pk `DUPLICATES`, sk `<channel>#<key>#<player>`  a player who gave a contact another had
Outside the player's partition, written in the same transaction:
- pk `PRODUCT#<sku>`, sk `PLAYER#<id>`: the player's interest in a product (kinds, latest
  time), expiring (TTL) when the interest does; read by catalog fan-out (product_index.py)

Everything one batch decides for a player is written in ONE transaction (or, when that is
the state item alone, one conditional PutItem), so state, ledger and effects can never
disagree, and a replayed event cannot write any of it twice. The writes before it are
pages of facts already committed, put-if-absent: ledger lines (ledger_tail.py says why that
is safe) and seen digests the loaded window held (seen_window.settled_page_sk).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from events.routing import OUTBOX_SK_PREFIX
from shared.adapters.board_items import CHANGED_BOARDS_ATTRIBUTE, changed_boards
from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import THROTTLE_CODES
from shared.adapters.dynamo_query import query_pages
from shared.adapters.game_pools import Claim, Record, claim_write, record_item
from shared.adapters.ledger_tail import (
    LINES_ATTRIBUTE,
    NEW_LINES_ATTRIBUTE,
    PAGE_PREFIX,
    LedgerTail,
    entry_of,
    ledger_page_sk,
    ledger_page_start,
    line_id,
    page_text,
)
from shared.adapters.seen_window import (
    SeenWindow,
    digest,
    epoch_of,
    page_day,
    page_digests,
    page_prefix,
    page_sk,
    split_settled,
)
from shared.adapters.state_codec import (
    LEGACY_STATE_ATTRIBUTE,
    STATE_ATTRIBUTE,
    encode_state,
    pack,
    read_state,
    read_stored,
    read_tail,
    unpack,
)
from shared.domain.commerce.shop import InterestChange
from shared.domain.core.state import (
    AuditEntry,
    InboxMessage,
    LedgerEntry,
    OutboxItem,
    PlayerState,
    reversible_changes,
)
from shared.domain.game.leaderboards import BoardEntry
from shared.domain.game.points import Earning
from shared.domain.players.contacts import ContactClaim, DuplicateContact
from shared.errors import ConflictError, NotFoundError, ThrottledError, TooLargeError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STATE_SK = "STATE"
EVENT_PREFIX = "EVENT#"
LEDGER_PREFIX = "LEDGER#"
AUDIT_PREFIX = "AUDIT#"
INBOX_PREFIX = "INBOX#"
REVERSIBLE_PREFIX = "REV#"
CONTACT_PREFIX = "CONTACT#"
CONTACT_SK = "CONTACT"
DUPLICATES_PK = "DUPLICATES"
SEEN_ATTRIBUTE = "seen"
# DynamoDB's limit. A windowed event counts as one item, like a marker: its commit writes
# at most one seen page for it (seen_window.py).
MAX_TRANSACTION_ITEMS = 100
OUTBOX_RETENTION = timedelta(days=30)


def player_pk(player_id: str) -> str:
    return f"PLAYER#{player_id}"


def player_id_of(pk: str) -> str:
    return pk.removeprefix("PLAYER#")


def ledger_sk(entry: LedgerEntry) -> str:
    return f"{LEDGER_PREFIX}{entry.occurred_at.astimezone(UTC).isoformat()}#{entry.entry_id}"


def outbox_sk(outbox_id: str) -> str:
    return f"{OUTBOX_SK_PREFIX}{outbox_id}"


def _epoch(when: datetime) -> str:
    return str(int(when.timestamp()))


def audit_sk(entry: AuditEntry) -> str:
    return f"{AUDIT_PREFIX}{entry.occurred_at.astimezone(UTC).isoformat()}#{entry.audit_id}"


def _audit_item(pk: str, entry: AuditEntry) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": audit_sk(entry)},
        "category": {"S": entry.category},
        "entry": {"S": entry.model_dump_json()},
        "expires_at": {"N": _epoch(entry.retain_until)},
    }


def _contact_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"{CONTACT_PREFIX}{key}"}, "sk": {"S": CONTACT_SK}}


def _duplicate_key(found: DuplicateContact) -> dict[str, Any]:
    return {
        "pk": {"S": DUPLICATES_PK},
        "sk": {"S": f"{found.channel}#{found.key}#{found.player_id}"},
    }


def product_pk(sku: str) -> str:
    return f"PRODUCT#{sku}"


def interest_write(table: str, change: InterestChange) -> dict[str, Any]:
    """The transaction item for one interest index change (a plain put or delete: the
    player's version-checked state item guards the transaction)."""
    key = {"pk": {"S": product_pk(change.sku)}, "sk": {"S": player_pk(change.player_id)}}
    if change.action == "delete" or change.last_at is None or change.expires_at is None:
        return {"Delete": {"TableName": table, "Key": key}}
    return {
        "Put": {
            "TableName": table,
            "Item": {
                **key,
                "player_id": {"S": change.player_id},
                "kinds": {"L": [{"S": k} for k in change.kinds]},
                "last_at": {"S": change.last_at.astimezone(UTC).isoformat()},
                "expires_at": {"N": _epoch(change.expires_at)},
            },
        }
    }


def reversible_sk(source: str, entry_id: str) -> str:
    return f"{REVERSIBLE_PREFIX}{source}#{entry_id}"


@dataclass
class Loaded:
    state: PlayerState
    seen_event_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Commit:
    """What one transaction writes for one player."""

    player_id: str
    state: PlayerState
    expected_version: int
    event_ids: Sequence[str]
    ledger: Sequence[LedgerEntry]
    outbox: Sequence[OutboxItem]
    audit: Sequence[AuditEntry] = ()
    # Pool claims (stock, budget) and spin/purchase records: see adapters/game_pools.py.
    claims: Sequence[Claim] = ()
    records: Sequence[Record] = ()
    # The player's leaderboard entries (one per board and period): see board_items.py.
    boards: Sequence[BoardEntry] = ()
    # Contact index claims and duplicates found (docs/identity.md).
    contacts: Sequence[ContactClaim] = ()
    duplicates: Sequence[DuplicateContact] = ()
    resolved: Sequence[DuplicateContact] = ()
    # Writes to the product interest index (one per product): see product_index.py.
    interests: Sequence[InterestChange] = ()
    # Event id -> event time for the events recorded in the state item's seen window
    # (seen_window.py) instead of by a marker each: the engine's operator events. The
    # other ids of `event_ids` get an EVENT# marker.
    event_times: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return (
            1
            + len(self.contacts)
            + len(self.duplicates)
            + len(self.resolved)
            + len(self.event_ids)
            # Ledger lines are not items of the transaction: they go in the state item's
            # tail (ledger_tail.py); a page of old ones is written before it.
            + len(reversible_changes(self.ledger))
            + len(self.outbox)
            + len(self.audit)
            + len(self.claims)
            + len(self.records)
            # Leaderboard entries are not either: the stream writes them (board_index.py).
            + len(self.interests)
        )


# Players whose last commit lost a race, remembered so their loads read consistently until
# one of their commits goes through (a reorder wake-up loads twice before it commits);
# all of them are forgotten past this many.
_SUSPECT_MAX = 10_000
# Seen windows and ledger tails as loaded, by (player, version), for the commit that
# follows the load; the oldest are forgotten past this many (a commit without one reads
# them back).
_WINDOWS_MAX = 10_000


@dataclass(frozen=True)
class _Stored:
    """What a commit carries over from the state item it replaces, besides the state."""

    window: SeenWindow
    tail: LedgerTail


class PlayerStore:
    """Reads and writes one player's items; turns DynamoDB errors into domain errors.

    With `eventual_reads` (the engine's store), `load` reads the state item and the event
    markers eventually consistent: half the read units of a consistent read. That is safe
    because every write is guarded: a stale state (and so a stale seen window) fails the
    version check, and an event already applied whose marker the read missed fails the
    marker's put-if-absent; either
    cancels the whole transaction (ConflictError). The engine then reloads, and the load
    after a conflict reads consistently, so the duplicate is found and skipped
    (docs/design.md, "DynamoDB units").
    """

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        meter: CapacityMeter | None = None,
        *,
        eventual_reads: bool = False,
    ) -> None:
        self._table = table_name
        self._ddb = client
        self._meter = meter or CapacityMeter()
        self._eventual = eventual_reads
        self._suspect: set[str] = set()
        self._stored: dict[tuple[str, int], _Stored] = {}

    # --- engine -------------------------------------------------------------------------

    def load(
        self,
        player_id: str,
        event_ids: Iterable[str],
        reversals: Iterable[str] = (),
        contacts: Iterable[str] = (),
        likely_seen: Iterable[str] = (),
        occurred: Mapping[str, datetime] | None = None,
    ) -> Loaded:
        """The player's state (new if none) and which of `event_ids` were already applied.

        An id with its event time in `occurred` is looked up in the state item's seen window
        (seen_window.py), and on the pages of its day only when its time is not after the
        latest paged one. Any other id is looked up by its EVENT# marker: every one on a
        consistent load; on an eventual load only those of `likely_seen` (redeliveries, the
        bus's echoes of the platform's own events), any other already-applied event being
        caught by its marker's put-if-absent at commit, and the reload after that is
        consistent. A stale eventual read of the window fails the commit's version check.

        For each reference in `reversals` ("deposit:<id>"), the earns it may still reverse
        are put in the state's wallet (they are not part of the state item). For each
        contact key in `contacts`, its first player ("" for none) goes in the state's
        `contact_owners`, read in the same BatchGetItem.
        """
        consistent = not self._eventual or player_id in self._suspect
        wanted = set(event_ids)
        times = _windowed(wanted, occurred or {})
        untimed = wanted - times.keys()
        # An eventual load does not read the contact index: every contact counts as nobody's,
        # so the decision claims it put-if-absent (or if already ours). A contact another
        # player has fails that claim, the transaction is cancelled, and the consistent
        # reload reads its owner (a stale owner read would record a wrong duplicate; this
        # reads none). Registrations are then no dearer to load than a round.
        markers = untimed if consistent else untimed & set(likely_seen)
        loaded, stored = self._load_items(player_id, markers, consistent, contacts)
        if not consistent and loaded.state.merged_into is not None:
            # A merged player's events go on to the survivor, whose commit cannot see this
            # partition's markers: read them here, exactly, before anything is forwarded.
            loaded, stored = self._load_items(player_id, untimed, True, contacts)
        loaded.seen_event_ids |= self._seen_in_window(player_id, stored.window, times)
        self._remember(player_id, loaded.state.version, stored)
        for source in sorted(set(reversals)):
            earnings = [
                _earning(LedgerEntry.model_validate_json(item["entry"]["S"]))
                for item in self.items(player_id, f"{REVERSIBLE_PREFIX}{source}#", consistent=True)
            ]
            if earnings:
                loaded.state.wallet.reversible[source] = earnings
        return loaded

    def contact_owners(self, keys: Iterable[str]) -> dict[str, str]:
        """Contact key -> its first player ("" for none), one consistent BatchGetItem."""
        wanted = sorted(set(keys))
        owners = dict.fromkeys(wanted, "")
        if not wanted:
            return owners
        pending: dict[str, Any] = {
            self._table: {"Keys": [_contact_key(k) for k in wanted], "ConsistentRead": True}
        }
        while pending:
            resp = self._call(
                self._ddb.batch_get_item, RequestItems=pending, ReturnConsumedCapacity="TOTAL"
            )
            self._meter.record_read("contacts", resp.get("ConsumedCapacity"))
            for item in resp.get("Responses", {}).get(self._table, []):
                owners[item["pk"]["S"].removeprefix(CONTACT_PREFIX)] = item["player_id"]["S"]
            pending = dict(resp.get("UnprocessedKeys") or {})
        return owners

    def _load_items(
        self,
        player_id: str,
        event_ids: Iterable[str],
        consistent: bool,
        contacts: Iterable[str] = (),
    ) -> tuple[Loaded, _Stored]:
        pk = player_pk(player_id)
        contact_keys = sorted(set(contacts))
        keys = (
            [{"pk": {"S": pk}, "sk": {"S": STATE_SK}}]
            + [_marker_key(pk, e) for e in sorted(set(event_ids))]
            # Only an exact load reads the contact index (see `load`): the others count
            # every contact as nobody's.
            + ([_contact_key(key) for key in contact_keys] if consistent else [])
        )
        loaded = Loaded(state=PlayerState.new(player_id))
        stored = _Stored(SeenWindow(), LedgerTail())
        owners = dict.fromkeys(contact_keys, "")
        for item in self._batch_get(keys, consistent):
            sk = item["sk"]["S"]
            if sk == CONTACT_SK:
                owners[item["pk"]["S"].removeprefix(CONTACT_PREFIX)] = item["player_id"]["S"]
            elif sk == STATE_SK:
                loaded.state, tail = read_stored(item)
                loaded.state.version = int(item["version"]["N"])
                stored = _Stored(_window_of(item), tail)
            else:
                loaded.seen_event_ids.add(sk.removeprefix(EVENT_PREFIX))
        loaded.state.contact_owners = owners
        return loaded, stored

    def _batch_get(self, keys: list[dict[str, Any]], consistent: bool) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            pending: dict[str, Any] = {
                self._table: {"Keys": keys[start : start + 100], "ConsistentRead": consistent}
            }
            while pending:
                resp = self._call(
                    self._ddb.batch_get_item, RequestItems=pending, ReturnConsumedCapacity="TOTAL"
                )
                got = resp.get("Responses", {}).get(self._table, [])
                unprocessed = dict(resp.get("UnprocessedKeys") or {})
                asked = len(pending[self._table]["Keys"])
                left = len(unprocessed.get(self._table, {}).get("Keys", []))
                self._meter.record_batch_get("load", asked - left, got, consistent=consistent)
                items += got
                pending = unprocessed
        return items

    def _seen_in_window(
        self, player_id: str, window: SeenWindow, times: Mapping[str, int]
    ) -> set[str]:
        """Which of the ids (with their event times) the seen window records as applied."""
        seen: set[str] = set()
        legacy: list[str] = []
        paged: dict[str, dict[bytes, str]] = {}
        for event_id, epoch in times.items():
            event_digest = digest(event_id)
            if window.knows(event_digest):
                seen.add(event_id)
                continue
            if window.may_have_marker(epoch):
                legacy.append(event_id)
            if window.may_be_paged(epoch):
                paged.setdefault(page_day(epoch), {})[event_digest] = event_id
        if legacy:
            # Applied before this item had a window: a marker, read exactly.
            keys = [_marker_key(player_pk(player_id), e) for e in sorted(legacy)]
            for item in self._batch_get(keys, consistent=True):
                seen.add(item["sk"]["S"].removeprefix(EVENT_PREFIX))
        for day, by_digest in sorted(paged.items()):
            if set(by_digest.values()) <= seen:
                continue
            # Consistent: a page is written with the state version that moved its ids.
            pages = self.items(player_id, page_prefix(day), consistent=True)
            self._meter.record_query("load", pages, consistent=True)
            found = {d for page in pages for d in page_digests(page["ids"]["B"])}
            seen |= {event_id for d, event_id in by_digest.items() if d in found}
        return seen

    def _remember(self, player_id: str, version: int, stored: _Stored) -> None:
        if len(self._stored) >= _WINDOWS_MAX:
            del self._stored[next(iter(self._stored))]
        self._stored[(player_id, version)] = stored

    def _stored_at(self, player_id: str, version: int) -> _Stored:
        """The seen window and ledger tail of the player's state at `version`: as loaded, or
        read back (a commit this store did not load for); ConflictError when the state is
        not there."""
        stored = self._stored.get((player_id, version))
        if stored is not None:
            return stored
        if version == 0:
            return _Stored(SeenWindow(), LedgerTail())
        # A Query, not GetItem: every function that commits may Query the table
        # (infra/constructs/tables.py grants by action).
        resp = self._call(
            self._ddb.query,
            TableName=self._table,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk = :s",
            ProjectionExpression="version, #w, #sz",
            ExpressionAttributeNames={"#w": SEEN_ATTRIBUTE, "#sz": STATE_ATTRIBUTE},
            ExpressionAttributeValues={":pk": {"S": player_pk(player_id)}, ":s": {"S": STATE_SK}},
        )
        found = resp.get("Items", [])
        self._meter.record_query("commit", found, consistent=True)
        item = found[0] if found else None
        if item is None or int(item["version"]["N"]) != version:
            self._suspect.add(player_id)
            raise ConflictError(f"{player_id}: state is not at version {version}")
        return _Stored(_window_of(item), read_tail(item))

    def commit(self, commit: Commit, now: datetime, dedupe_for: timedelta) -> None:
        """Write state + markers + ledger + outbox atomically, or raise ConflictError."""
        if commit.item_count > MAX_TRANSACTION_ITEMS:
            raise TooLargeError(
                f"{commit.item_count} writes for one player exceed the transaction limit"
            )
        writes, stored, pages = self._commit_writes(commit, now, dedupe_for)
        self._write("commit", writes, [commit.player_id], pages)
        self._remember(commit.player_id, commit.expected_version + 1, stored)

    def commit_merge(
        self, survivor: Commit, merged: Commit, now: datetime, dedupe_for: timedelta
    ) -> None:
        """A `player.merged`: both players' writes in ONE transaction, both version-checked,
        so the balance leaves one ledger exactly when it enters the other."""
        count = survivor.item_count + merged.item_count
        if count > MAX_TRANSACTION_ITEMS:
            raise TooLargeError(f"{count} writes for a merge exceed the transaction limit")
        writes, survivor_stored, survivor_pages = self._commit_writes(survivor, now, dedupe_for)
        merged_writes, merged_stored, merged_pages = self._commit_writes(merged, now, dedupe_for)
        self._write(
            "merge",
            writes + merged_writes,
            [survivor.player_id, merged.player_id],
            survivor_pages + merged_pages,
        )
        self._remember(survivor.player_id, survivor.expected_version + 1, survivor_stored)
        self._remember(merged.player_id, merged.expected_version + 1, merged_stored)

    def _write(
        self,
        what: str,
        writes: list[dict[str, Any]],
        players: list[str],
        pages: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The ledger pages, then one transaction; or, when the commit is the state item
        alone, one conditional PutItem: the same guarantee (one item, version-checked) at
        half the write units."""
        for page in pages:
            self._put_page(what, page)
        try:
            if len(writes) == 1 and "Put" in writes[0]:
                put = writes[0]["Put"]
                self._meter.record_put(what, put["Item"])
                self._call(self._ddb.put_item, **put, ReturnConsumedCapacity="TOTAL")
            else:
                self._meter.record_transaction(what, writes)
                self._call(
                    self._ddb.transact_write_items,
                    TransactItems=writes,
                    ReturnConsumedCapacity="TOTAL",
                )
            self._suspect.difference_update(players)
        except ConflictError:
            # Stale state or an event already applied: the next load must read exactly.
            if len(self._suspect) + len(players) > _SUSPECT_MAX:
                self._suspect.clear()
            self._suspect.update(players)
            raise

    def _put_page(self, what: str, page: dict[str, Any]) -> None:
        """Put a page of committed facts (ledger lines, or seen digests the loaded window
        held) unless it is there already: a racing or retried commit builds the same page
        under the same key (ledger_tail.py, seen_window.settled_page_sk)."""
        self._meter.record_put(what, page)
        try:
            self._call(
                self._ddb.put_item,
                TableName=self._table,
                Item=page,
                ConditionExpression="attribute_not_exists(pk)",
                ReturnConsumedCapacity="TOTAL",
            )
        except ConflictError:
            return  # put by an earlier attempt: the same lines

    def move_reversible(self, from_player: str, to_player: str) -> int:
        """Move a merged player's reversible earns (REV# items) to the survivor; how many.

        Not part of the merge transaction: a frequent depositor can hold more than one
        transaction's worth. Each chunk puts and deletes together, and the call is
        idempotent (a retried merge runs it again and finds what is left), so an item is
        always in exactly one of the two partitions.
        """
        items = self.items(from_player, REVERSIBLE_PREFIX, consistent=True)
        source_pk, target_pk = player_pk(from_player), player_pk(to_player)
        for start in range(0, len(items), MAX_TRANSACTION_ITEMS // 2):
            writes: list[dict[str, Any]] = []
            for item in items[start : start + MAX_TRANSACTION_ITEMS // 2]:
                key = {"pk": {"S": source_pk}, "sk": item["sk"]}
                writes.append(
                    {"Put": {"TableName": self._table, "Item": {**item, "pk": {"S": target_pk}}}}
                )
                writes.append({"Delete": {"TableName": self._table, "Key": key}})
            self._meter.record_transaction("merge_reversible", writes)
            self._call(
                self._ddb.transact_write_items, TransactItems=writes, ReturnConsumedCapacity="TOTAL"
            )
        return len(items)

    def duplicates(self) -> list[DuplicateContact]:
        """Every player found sharing a contact with an earlier one (hashed keys only)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": DUPLICATES_PK}},
        }
        found: list[DuplicateContact] = []
        for resp in query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs):
            for item in resp.get("Items", []):
                found.append(
                    DuplicateContact(
                        key=item["contact_key"]["S"],
                        channel=item["channel"]["S"],
                        player_id=item["player_id"]["S"],
                        first_player_id=item["first_player_id"]["S"],
                        at=datetime.fromisoformat(item["at"]["S"]),
                    )
                )
        return sorted(found, key=lambda d: (d.at, d.player_id, d.channel))

    def _commit_writes(
        self, commit: Commit, now: datetime, dedupe_for: timedelta
    ) -> tuple[list[dict[str, Any]], _Stored, list[dict[str, Any]]]:
        """The transaction items of one player's commit, its seen window and ledger tail
        after it, and the ledger pages to put before it."""
        pk = player_pk(commit.player_id)
        new_version = commit.expected_version + 1
        timed = _windowed(commit.event_ids, commit.event_times)
        before = self._stored_at(commit.player_id, commit.expected_version)
        window, pages = before.window.applied(
            [(epoch, digest(event_id)) for event_id, epoch in timed.items()], now
        )
        # A line id is derived from (player, event, rule, action): one already in the tail
        # means the event was applied before. The seen window is the guard; this is the
        # second one that a put-if-absent line item used to be (for the tail's lines).
        booked = {line_id(line, commit.player_id) for line in before.tail.lines}
        if any(entry.entry_id in booked for entry in commit.ledger):
            self._suspect.add(commit.player_id)
            raise ConflictError(f"{commit.player_id}: a ledger line of this commit is booked")
        # Only lines of the tail as loaded are paged: they are committed already.
        ledger_pages, kept = before.tail.paged()
        tail = kept.booked(commit.ledger)
        # Defaults and derivable names are left out, the rest compressed (state_codec.py):
        # every started KB of this item costs 1 WCU (2 in a transaction).
        state_blob = encode_state(commit.state.model_copy(update={"version": new_version}), tail)
        state_put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "pk": {"S": pk},
                "sk": {"S": STATE_SK},
                "version": {"N": str(new_version)},
                STATE_ATTRIBUTE: {"B": state_blob},
                SEEN_ATTRIBUTE: {"B": window.encode()},
                # Which tail lines this commit booked: the lake takes them from the stream.
                **({NEW_LINES_ATTRIBUTE: {"N": str(kept.end)}} if commit.ledger else {}),
                # Which leaderboard entries it changed: the board index function writes them
                # from the stream (board_index.py), so they are no items of this commit.
                **(
                    {CHANGED_BOARDS_ATTRIBUTE: {"S": changed_boards(commit.boards)}}
                    if commit.boards
                    else {}
                ),
            },
        }
        if commit.expected_version == 0:
            state_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            state_put["ConditionExpression"] = "version = :v"
            state_put["ExpressionAttributeValues"] = {":v": {"N": str(commit.expected_version)}}
        writes: list[dict[str, Any]] = [{"Put": state_put}]
        marker_expiry = _epoch(now + dedupe_for)
        # Pages of digests the loaded window held are facts already committed: put before
        # the commit, like ledger pages (seen_window.settled_page_sk says why that is safe).
        settled, others = split_settled(before.window, pages, commit.expected_version)
        settled_pages = [
            {
                "pk": {"S": pk},
                "sk": {"S": sk},
                "ids": {"B": digests},
                "expires_at": {"N": marker_expiry},
            }
            for sk, digests in settled.items()
        ]
        for day, digests in others.items():
            writes.append(
                self._put_new(
                    {
                        "pk": {"S": pk},
                        "sk": {"S": page_sk(day, new_version)},
                        "ids": {"B": digests},
                        "expires_at": {"N": marker_expiry},
                    }
                )
            )
        for event_id in commit.event_ids:
            if event_id in timed:
                continue
            writes.append(
                self._put_new({**_marker_key(pk, event_id), "expires_at": {"N": marker_expiry}})
            )
        for (source, entry_id), line in reversible_changes(commit.ledger).items():
            key = {"pk": {"S": pk}, "sk": {"S": reversible_sk(source, entry_id)}}
            if line is None:
                writes.append({"Delete": {"TableName": self._table, "Key": key}})
            else:
                until = line.reversible_until or now
                writes.append(
                    self._put_new(
                        {
                            **key,
                            "entry": {"S": line.model_dump_json()},
                            "expires_at": {"N": _epoch(until)},
                        }
                    )
                )
        outbox_expiry = _epoch(now + OUTBOX_RETENTION)
        for item in commit.outbox:
            writes.append(
                self._put_new(
                    {
                        "pk": {"S": pk},
                        "sk": {"S": outbox_sk(item.outbox_id)},
                        "kind": {"S": item.effect.kind},
                        "item": {"S": item.model_dump_json()},
                        "status": {"S": "pending"},
                        "expires_at": {"N": outbox_expiry},
                    }
                )
            )
        for audit_entry in commit.audit:
            writes.append(self._put_new(_audit_item(pk, audit_entry)))
        writes += [claim_write(self._table, claim) for claim in commit.claims]
        writes += [self._put_new(record_item(pk, record)) for record in commit.records]
        writes += [self._contact_write(claim) for claim in commit.contacts]
        writes += [self._duplicate_write(found) for found in commit.duplicates]
        writes += [
            {"Delete": {"TableName": self._table, "Key": _duplicate_key(found)}}
            for found in commit.resolved
        ]
        writes += [interest_write(self._table, change) for change in commit.interests]
        page_items = [
            {
                "pk": {"S": pk},
                "sk": {"S": ledger_page_sk(start)},
                LINES_ATTRIBUTE: {"B": pack(page_text(lines))},
            }
            for start, lines in ledger_pages
        ]
        return writes, _Stored(window, tail), page_items + settled_pages

    def _contact_write(self, claim: ContactClaim) -> dict[str, Any]:
        # First come, first owner: a rival claim committed meanwhile fails this transaction,
        # and the retry reads the new owner and records a duplicate instead. A merge moves
        # the item only from the merged player.
        if claim.previous is None:
            condition = "attribute_not_exists(pk) OR player_id = :me"
            values = {":me": {"S": claim.player_id}}
        else:
            condition = "player_id = :previous OR player_id = :me"
            values = {":me": {"S": claim.player_id}, ":previous": {"S": claim.previous}}
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **_contact_key(claim.key),
                    "player_id": {"S": claim.player_id},
                    "channel": {"S": claim.channel},
                    "claimed_at": {"S": claim.at.isoformat()},
                },
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _duplicate_write(self, found: DuplicateContact) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **_duplicate_key(found),
                    "contact_key": {"S": found.key},
                    "channel": {"S": found.channel},
                    "player_id": {"S": found.player_id},
                    "first_player_id": {"S": found.first_player_id},
                    "at": {"S": found.at.isoformat()},
                },
            }
        }

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        # Put-if-absent: a second write of the same marker, ledger line or outbox item fails
        # the whole transaction instead of silently double-applying.
        return {
            "Put": {
                "TableName": self._table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    # --- dispatch -----------------------------------------------------------------------

    def outbox_status(self, player_id: str, outbox_id: str) -> str | None:
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key={"pk": {"S": player_pk(player_id)}, "sk": {"S": outbox_sk(outbox_id)}},
            ConsistentRead=True,
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
            ReturnConsumedCapacity="TOTAL",
        )
        self._meter.record_read("outbox_status", resp.get("ConsumedCapacity"))
        item = resp.get("Item")
        return item["status"]["S"] if item else None

    def mark_outbox(self, player_id: str, outbox_id: str, status: str, result: str) -> None:
        """Record what dispatch did; the stream filter ignores this MODIFY."""
        try:
            resp = self._mark(player_id, outbox_id, status, result)
        except ConflictError as exc:
            raise NotFoundError(f"outbox item {outbox_id} no longer exists") from exc
        self._meter.record_write("mark_outbox", resp.get("ConsumedCapacity"))

    def _mark(self, player_id: str, outbox_id: str, status: str, result: str) -> Any:
        return self._call(
            self._ddb.update_item,
            TableName=self._table,
            Key={"pk": {"S": player_pk(player_id)}, "sk": {"S": outbox_sk(outbox_id)}},
            UpdateExpression="SET #s = :s, #r = :r",
            # Never create a bare item: an outbox item that is gone (TTL) is reported instead.
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status", "#r": "result"},
            ExpressionAttributeValues={":s": {"S": status}, ":r": {"S": result}},
            ReturnConsumedCapacity="TOTAL",
        )

    # --- inspection (CLI, tests) --------------------------------------------------------

    def items(self, player_id: str, prefix: str, consistent: bool = False) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": consistent,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": {"S": player_pk(player_id)}, ":p": {"S": prefix}},
        }
        for resp in query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs):
            out += resp.get("Items", [])
        return out

    def put_audit(self, entry: AuditEntry) -> None:
        """Record one audit entry outside a decision (dispatch and engine stages)."""
        item = _audit_item(player_pk(entry.player_id), entry)
        try:
            self._call(
                self._ddb.put_item,
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ConflictError:
            return  # the same entry was recorded by an earlier attempt

    def put_inbox(self, message: InboxMessage) -> None:
        """Store an in-app message once (a redelivered effect finds it already there)."""
        sk = (
            f"{INBOX_PREFIX}{message.delivered_at.astimezone(UTC).isoformat()}#{message.message_id}"
        )
        try:
            self._call(
                self._ddb.put_item,
                TableName=self._table,
                Item={
                    "pk": {"S": player_pk(message.player_id)},
                    "sk": {"S": sk},
                    "message": {"S": message.model_dump_json()},
                    "expires_at": {"N": _epoch(message.expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ConflictError:
            return

    def inbox(self, player_id: str) -> list[InboxMessage]:
        return [_inbox_message(i) for i in self.items(player_id, INBOX_PREFIX)]

    def inbox_page(
        self,
        player_id: str,
        *,
        now: datetime,
        limit: int,
        unread_only: bool = False,
        after: str | None = None,
    ) -> tuple[list[InboxMessage], str | None]:
        """Up to `limit` live messages, newest first, and the sort key to continue after.

        Expired items are filtered by `now` because TTL deletes them only eventually (up to
        days later). A filter is applied after `Limit`, so this reads on until the page is
        full; expired items are few, since TTL does remove them.
        """
        if after is not None and not after.startswith(INBOX_PREFIX):
            raise ValueError("not an inbox cursor")
        pk = player_pk(player_id)
        live = "expires_at > :now"
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "FilterExpression": (
                f"{live} AND (attribute_not_exists(#r) OR #r = :no)" if unread_only else live
            ),
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":p": {"S": INBOX_PREFIX},
                ":now": {"N": _epoch(now)},
                **({":no": {"BOOL": False}} if unread_only else {}),
            },
            **({"ExpressionAttributeNames": {"#r": "read"}} if unread_only else {}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": after}}
        found: list[dict[str, Any]] = []
        while True:
            resp = self._call(self._ddb.query, **kwargs)
            items = resp.get("Items", [])
            room = limit - len(found)
            found += items[:room]
            more = len(items) > room or "LastEvaluatedKey" in resp
            if len(found) == limit or "LastEvaluatedKey" not in resp:
                cursor = found[-1]["sk"]["S"] if found and more else None
                return [_inbox_message(i) for i in found], cursor
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def ledger_page(
        self, player_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[LedgerEntry], str | None]:
        """Up to `limit` ledger lines, newest booked first, and the cursor to continue after.

        The state item's tail, then its pages newest first (ledger_tail.py), then lines of
        the one-item-per-line format from before the tail, newest first. A cursor is the
        page key of the last line's booking number (`LEDGER#P#<seq>`: go on below it) or,
        among the old lines, the last one's sort key.
        """
        if after is not None and not after.startswith(LEDGER_PREFIX):
            raise ValueError("not a ledger cursor")
        lines: list[tuple[str, LedgerEntry]] = []  # (cursor after it, line)
        old_after = after
        if after is None or after.startswith(PAGE_PREFIX):
            old_after = None
            tail = self._tail(player_id)
            below = ledger_page_start(after) if after is not None else tail.end
            for seq, entry in reversed(tail.entries(player_id)):
                if seq < below:
                    lines.append((ledger_page_sk(seq), entry))
            for start, page in self._pages_before(
                player_id, min(below, tail.start), limit + 1 - len(lines)
            ):
                for i in reversed(range(len(page))):
                    if start + i < below:
                        lines.append((ledger_page_sk(start + i), entry_of(page[i], player_id)))
        if len(lines) <= limit:
            lines += self._old_lines_before(player_id, old_after, limit + 1 - len(lines))
        more = len(lines) > limit
        lines = lines[:limit]
        return [entry for _, entry in lines], lines[-1][0] if more else None

    def _tail(self, player_id: str) -> LedgerTail:
        items = self.items(player_id, STATE_SK, consistent=True)
        return read_tail(items[0]) if items else LedgerTail()

    def _pages_before(
        self, player_id: str, below: int, wanted_lines: int
    ) -> Iterable[tuple[int, list[dict[str, Any]]]]:
        """Pages of lines before booking number `below`, newest first, read until they hold
        `wanted_lines` lines (consistently: a page is written just before the state that
        moves its lines out of the tail)."""
        if below <= 0 or wanted_lines <= 0:
            return
        pk = player_pk(player_id)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":lo": {"S": PAGE_PREFIX},
                ":hi": {"S": ledger_page_sk(below - 1)},
            },
            "ScanIndexForward": False,
        }
        for resp in query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs):
            for item in resp.get("Items", []):
                page = _page_lines(item)
                start = ledger_page_start(item["sk"]["S"])
                yield start, page
                # The newest page read may reach past `below`: count only the lines before.
                wanted_lines -= min(len(page), below - start)
                if wanted_lines <= 0:
                    return

    def _old_lines_before(
        self, player_id: str, after: str | None, wanted: int
    ) -> list[tuple[str, LedgerEntry]]:
        """Lines of the one-item-per-line format, newest first, after cursor `after`."""
        pk = player_pk(player_id)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            # Their keys are LEDGER#<ISO time>#<id>: a digit follows the '#', never the P of
            # a page.
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":lo": {"S": f"{LEDGER_PREFIX}0"},
                ":hi": {"S": f"{LEDGER_PREFIX}:"},
            },
            "ScanIndexForward": False,
            "Limit": wanted,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": after}}
        found: list[tuple[str, LedgerEntry]] = []
        for resp in query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs):
            for item in resp.get("Items", []):
                found.append((item["sk"]["S"], LedgerEntry.model_validate_json(item["entry"]["S"])))
            if len(found) >= wanted:
                break
        return found[:wanted]

    def unread_count(self, player_id: str, now: datetime) -> int:
        """Live unread messages (COUNT reads the keys only; nothing is returned)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "FilterExpression": "expires_at > :now AND (attribute_not_exists(#r) OR #r = :no)",
            "ExpressionAttributeNames": {"#r": "read"},
            "ExpressionAttributeValues": {
                ":pk": {"S": player_pk(player_id)},
                ":p": {"S": INBOX_PREFIX},
                ":now": {"N": _epoch(now)},
                ":no": {"BOOL": False},
            },
            "Select": "COUNT",
        }
        pages = query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs)
        return sum(int(resp.get("Count", 0)) for resp in pages)

    def mark_inbox_read(self, player_id: str, message_id: str, now: datetime | None = None) -> bool:
        """Set the message's `read` flag; False if there is no such (live, given `now`) message.

        The sort key starts with the delivery time, which the caller does not know, so the
        player's inbox keys are read first (a small, expiring set). The update is conditional:
        it never recreates an item TTL removed meanwhile, and marking twice is harmless.
        """
        pk = player_pk(player_id)
        keys = self._call(
            self._ddb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": INBOX_PREFIX}},
            ProjectionExpression="sk",
        ).get("Items", [])
        # INBOX#<iso time>#<id>: the time holds no '#', so everything after it is the id.
        matches = [k["sk"]["S"] for k in keys if k["sk"]["S"].split("#", 2)[-1] == message_id]
        if not matches:
            return False
        condition = "attribute_exists(pk)"
        values: dict[str, Any] = {":yes": {"BOOL": True}}
        if now is not None:
            condition += " AND expires_at > :now"
            values[":now"] = {"N": _epoch(now)}
        try:
            self._call(
                self._ddb.update_item,
                TableName=self._table,
                Key={"pk": {"S": pk}, "sk": {"S": matches[0]}},
                UpdateExpression="SET #r = :yes",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#r": "read"},
                ExpressionAttributeValues=values,
            )
        except ConflictError:
            return False
        return True

    def audit(self, player_id: str) -> list[AuditEntry]:
        return [
            AuditEntry.model_validate_json(i["entry"]["S"])
            for i in self.items(player_id, AUDIT_PREFIX)
        ]

    def ledger(self, player_id: str) -> list[LedgerEntry]:
        """Every line (old items, pages, the tail), by event time then id: the order of the
        one-item-per-line keys."""
        tail = self._tail(player_id)  # first: every page below its start is there by then
        lines: list[LedgerEntry] = []
        for item in self.items(player_id, LEDGER_PREFIX, consistent=True):
            sk = item["sk"]["S"]
            if not sk.startswith(PAGE_PREFIX):
                lines.append(LedgerEntry.model_validate_json(item["entry"]["S"]))
            elif ledger_page_start(sk) < tail.start:  # a page at or past it is a failed commit's
                lines += [entry_of(line, player_id) for line in _page_lines(item)]
        lines += [entry for _, entry in tail.entries(player_id)]
        return sorted(lines, key=ledger_sk)

    def outbox(self, player_id: str) -> list[tuple[OutboxItem, str, str]]:
        """(item, status, result) for each outbox item, oldest id first."""
        return [
            (
                OutboxItem.model_validate_json(i["item"]["S"]),
                i["status"]["S"],
                i.get("result", {}).get("S", ""),
            )
            for i in self.items(player_id, OUTBOX_SK_PREFIX)
        ]

    def scan_states(self, max_players: int, page_size: int = 500) -> tuple[list[PlayerState], bool]:
        """Up to `max_players` player states from a Scan, and whether that was all of them.

        For estimates over current players (the console's reach). A Scan reads every item
        of the table (ledger lines, outbox...) and is filtered after the read, so it is
        bounded here by players returned; docs/console.md gives the cost at scale.
        """
        states: list[PlayerState] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :state",
            "ProjectionExpression": "pk, #s, #sz, version",
            "ExpressionAttributeNames": {"#s": LEGACY_STATE_ATTRIBUTE, "#sz": STATE_ATTRIBUTE},
            "ExpressionAttributeValues": {":state": {"S": STATE_SK}},
            "Limit": page_size,
        }
        while True:
            resp = self._call(self._ddb.scan, **kwargs)
            for item in resp.get("Items", []):
                if len(states) >= max_players:
                    return states, False
                state = read_state(item)
                state.version = int(item["version"]["N"])
                states.append(state)
            if "LastEvaluatedKey" not in resp:
                return states, True
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def state(self, player_id: str) -> PlayerState | None:
        items = self.items(player_id, STATE_SK, consistent=True)
        if not items:
            return None
        state = read_state(items[0])
        state.version = int(items[0]["version"]["N"])
        return state

    # --- errors -------------------------------------------------------------------------

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("TransactionCanceledException", "ConditionalCheckFailedException"):
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if code == "ConditionalCheckFailedException" or any(
                    r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons
                ):
                    raise ConflictError(f"{code}: {reasons}") from exc
                if any(r in ("ThrottlingError", "ProvisionedThroughputExceeded") for r in reasons):
                    raise ThrottledError(f"{code}: {reasons}") from exc
            if code in THROTTLE_CODES or code == "TransactionInProgressException":
                raise ThrottledError(code) from exc
            raise


def _marker_key(pk: str, event_id: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": EVENT_PREFIX + event_id}}


def _window_of(state_item: dict[str, Any]) -> SeenWindow:
    """A state item's seen window; an item written before windows has none (markers)."""
    seen = state_item.get(SEEN_ATTRIBUTE)
    return SeenWindow.decode(seen["B"]) if seen else SeenWindow.legacy()


def _windowed(event_ids: Iterable[str], times: Mapping[str, datetime]) -> dict[str, int]:
    """The ids the seen window records (with their event times as it stores them); the
    others keep EVENT# markers."""
    out: dict[str, int] = {}
    for event_id in event_ids:
        when = times.get(event_id)
        if when is not None and (epoch := epoch_of(when)) is not None:
            out[event_id] = epoch
    return out


def _page_lines(item: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = json.loads(unpack(bytes(item[LINES_ATTRIBUTE]["B"])))
    return lines


def booked_lines(state_image: Mapping[str, Any]) -> list[LedgerEntry]:
    """The ledger lines the commit that wrote this STATE item (a stream record's image)
    booked: its tail from the `ln` attribute on."""
    first = state_image.get(NEW_LINES_ATTRIBUTE)
    if not first or STATE_ATTRIBUTE not in state_image:
        return []
    tail = read_tail(state_image)
    player_id = player_id_of(state_image["pk"]["S"])
    return [entry for _, entry in tail.entries(player_id, since=int(first["N"]))]


def _inbox_message(item: dict[str, Any]) -> InboxMessage:
    """The stored message; the item's own `read` attribute (set by the player) wins."""
    message = InboxMessage.model_validate_json(item["message"]["S"])
    if "read" in item:
        return message.model_copy(update={"read": bool(item["read"]["BOOL"])})
    return message


def _earning(line: LedgerEntry) -> Earning:
    return Earning(
        entry_id=line.entry_id,
        points=line.points,
        earned_at=line.occurred_at,
        expires_at=line.expires_at,
    )


def parse_outbox_image(new_image: dict[str, Any]) -> OutboxItem:
    """The outbox item carried by a stream record's NewImage."""
    return OutboxItem.model_validate_json(new_image["item"]["S"])
