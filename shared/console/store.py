"""The console's adapter on the config table: versioned writes with audit, publications.

Layout next to the engine's items (`pk` = kind, `sk` = id, JSON `body`, `version`):
- `AUDIT#<kind>#<id>` / `v<version>`  one entry per change: who, when, action, the body
  before and after. It is written in the same transaction as the change, so there is
  never a change without its audit entry (nor the reverse).
- `PUBLISH` / `v<config version>`    the item versions a publish made live, so rolling
  back to version N can republish exactly that set.
- `ACTIVITY` / `<at>#<kind>#<id>#<version>`  who changed what (no bodies), written with
  each change: the activity feed across items is one Query.
The engine queries only `pk = "rule"` / `"template"`, so these partitions never reach it.

Every change is conditional on the version the client edited (`version = :expected`, or
"does not exist" for a create): a stale edit fails with ConflictError, never overwrites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from shared.adapters.config_store import (
    ACTIVITY_PK,
    AUDIT_PREFIX,
    META_KEY,
    PUBLISH_PK,
    audited_body,
    publication_writes,
    version_key,
)
from shared.adapters.dynamo_query import query_pages
from shared.errors import ConflictError, ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
}

Action = Literal["create", "update", "enable", "disable", "delete", "rollback"]


@dataclass(frozen=True)
class StoredItem:
    kind: str
    item_id: str
    body_text: str
    version: int
    updated_at: str | None
    updated_by: str | None

    def body(self) -> dict[str, Any] | None:
        """The stored JSON object, or None if what is stored is not one (written by hand)."""
        try:
            parsed = json.loads(self.body_text)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    item_id: str
    version: int
    action: str
    actor: str
    at: str
    before: str | None
    after: str | None
    note: str | None = None


@dataclass(frozen=True)
class Publication:
    config_version: int
    items: dict[str, dict[str, int]]
    actor: str
    at: str
    note: str | None


@dataclass(frozen=True)
class Change:
    """One versioned write: `expected` is the version the client edited (None = create)."""

    kind: str
    item_id: str
    action: Action
    expected: int | None
    new_version: int
    before: str | None
    after: str | None
    actor: str
    at: datetime
    note: str | None = None


class ConsoleConfigStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._ddb = client

    # --- items --------------------------------------------------------------------------

    def items(self, kind: str) -> list[StoredItem]:
        return [self._item(kind, i) for i in self._query(kind)]

    def get(self, kind: str, item_id: str) -> StoredItem | None:
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key={"pk": {"S": kind}, "sk": {"S": item_id}},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return self._item(kind, item) if item else None

    def last_audited_version(self, kind: str, item_id: str) -> int:
        """Highest version ever recorded for the id (a deleted item keeps its history)."""
        resp = self._call(
            self._ddb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"{AUDIT_PREFIX}{kind}#{item_id}"}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = resp.get("Items", [])
        return int(items[0]["version"]["N"]) if items else 0

    def apply(self, change: Change) -> None:
        """Write the change and its audit entry atomically, or raise ConflictError."""
        key = {"pk": {"S": change.kind}, "sk": {"S": change.item_id}}
        item_write: dict[str, Any]
        if change.after is None:
            item_write = {"Delete": {"TableName": self._table, "Key": key, **_expect(change)}}
        else:
            put: dict[str, Any] = {
                "TableName": self._table,
                "Item": {
                    **key,
                    "body": {"S": change.after},
                    "version": {"N": str(change.new_version)},
                    "updated_at": {"S": change.at.isoformat()},
                    "updated_by": {"S": change.actor},
                },
            }
            item_write = {"Put": {**put, **_expect(change)}}
        audit: dict[str, Any] = {
            "pk": {"S": f"{AUDIT_PREFIX}{change.kind}#{change.item_id}"},
            "sk": {"S": version_key(change.new_version)},
            "kind": {"S": change.kind},
            "item_id": {"S": change.item_id},
            "version": {"N": str(change.new_version)},
            "action": {"S": change.action},
            "actor": {"S": change.actor},
            "at": {"S": change.at.isoformat()},
        }
        if change.before is not None:
            audit["before"] = {"S": change.before}
        if change.after is not None:
            audit["after"] = {"S": change.after}
        if change.note:
            audit["note"] = {"S": change.note}
        # The feed entry: who changed what, without the bodies, in one partition so the
        # activity feed is a Query (newest first) instead of a Scan of every audit trail.
        activity = {k: v for k, v in audit.items() if k not in ("pk", "sk", "before", "after")} | {
            "pk": {"S": ACTIVITY_PK},
            "sk": {
                "S": f"{change.at.isoformat()}#{change.kind}#{change.item_id}#{change.new_version}"
            },
        }
        self._transact(
            [
                item_write,
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": audit,
                        # Two writers that both read version N race for audit vN+1 too.
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": self._table, "Item": activity}},
            ]
        )

    # --- audit --------------------------------------------------------------------------

    def audit(self, kind: str, item_id: str) -> list[AuditEntry]:
        """Every recorded change of the item, newest first."""
        items = self._query(f"{AUDIT_PREFIX}{kind}#{item_id}", newest_first=True)
        return [_audit_entry(i) for i in items]

    def audited_body(self, kind: str, item_id: str, version: int) -> str | None:
        """The body the item had at `version`, from the audit trail."""
        return audited_body(
            lambda **kwargs: self._call(self._ddb.query, **kwargs),
            self._table,
            kind,
            item_id,
            version,
        )

    def recent_changes(self, limit: int = 100) -> list[AuditEntry]:
        """The latest console changes of every item, newest first (the activity feed):
        one Query of the activity partition, which each change writes with its audit entry.
        """
        resp = self._call(
            self._ddb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ACTIVITY_PK}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_audit_entry(i) for i in resp.get("Items", [])]

    # --- publications -------------------------------------------------------------------

    def published_version(self) -> int:
        resp = self._call(
            self._ddb.get_item, TableName=self._table, Key=META_KEY, ConsistentRead=True
        )
        item = resp.get("Item")
        return int(item["config_version"]["N"]) if item else 0

    def publish(
        self,
        *,
        expected: int,
        items: dict[str, dict[str, int]],
        actor: str,
        at: datetime,
        note: str | None,
    ) -> int:
        """Bump the config version from `expected` and record what it publishes, atomically."""
        version = expected + 1
        self._transact(publication_writes(self._table, expected, items, actor, at, note))
        return version

    def publication(self, version: int) -> Publication | None:
        resp = self._call(
            self._ddb.get_item,
            TableName=self._table,
            Key={"pk": {"S": PUBLISH_PK}, "sk": {"S": version_key(version)}},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return _publication(item) if item else None

    def publications(self, limit: int = 50) -> list[Publication]:
        """The latest publications, newest first."""
        resp = self._call(
            self._ddb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": PUBLISH_PK}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_publication(i) for i in resp.get("Items", [])]

    # --- plumbing -----------------------------------------------------------------------

    def _item(self, kind: str, item: dict[str, Any]) -> StoredItem:
        return StoredItem(
            kind=kind,
            item_id=item["sk"]["S"],
            body_text=item.get("body", {}).get("S", ""),
            version=int(item.get("version", {}).get("N", "0")),
            updated_at=item.get("updated_at", {}).get("S"),
            updated_by=item.get("updated_by", {}).get("S"),
        )

    def _query(self, pk: str, *, newest_first: bool = False) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        for resp in query_pages(lambda **kw: self._call(self._ddb.query, **kw), **kwargs):
            out += resp.get("Items", [])
        return out

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        try:
            self._ddb.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "TransactionCanceledException":
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
                    raise ConflictError(f"{code}: {reasons}") from exc
            if code in _THROTTLE_CODES or code == "TransactionInProgressException":
                raise ThrottledError(code) from exc
            raise

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLE_CODES:
                raise ThrottledError(code) from exc
            raise


def _expect(change: Change) -> dict[str, Any]:
    """The condition that makes a write fail unless the item is still what the client saw."""
    if change.expected is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    if change.expected == 0:
        # Written behind the console's back without a version (hand edits, old tools).
        return {"ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(version)"}
    return {
        "ConditionExpression": "version = :e",
        "ExpressionAttributeValues": {":e": {"N": str(change.expected)}},
    }


def _audit_entry(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        kind=item["kind"]["S"],
        item_id=item["item_id"]["S"],
        version=int(item["version"]["N"]),
        action=item["action"]["S"],
        actor=item["actor"]["S"],
        at=item["at"]["S"],
        before=item.get("before", {}).get("S"),
        after=item.get("after", {}).get("S"),
        note=item.get("note", {}).get("S"),
    )


def _publication(item: dict[str, Any]) -> Publication:
    return Publication(
        config_version=int(item["config_version"]["N"]),
        items=json.loads(item["items"]["S"]),
        actor=item["actor"]["S"],
        at=item["at"]["S"],
        note=item.get("note", {}).get("S"),
    )
