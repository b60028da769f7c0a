"""One fix to moto's DynamoDB, so the local runtime behaves as DynamoDB does.

moto (5.x) runs a TransactWriteItems by writing each item in turn, and on a cancellation
puts back a deep copy of each table taken before. The copy carries a copy of the table's
stream shard, so:

- the stream records the cancelled writes produced stay in the original shard, which every
  open shard iterator still reads: a consumer sees INSERTs of items that were never
  committed (an outbox item of a duplicate event would be dispatched);
- later writes go to the copy's shard, which those iterators never read.

DynamoDB writes stream records for committed transactions only. The fix keeps the original
shard object, cut back to the records it had before the transaction, and puts it back on
the restored table, so iterators stay valid and see exactly the committed writes.

The engine relies on this being right locally: its loads read only the state item and let a
duplicate event's put-if-absent marker cancel the transaction (docs/design.md, "DynamoDB
units"). Installed by the local runtime's moto server and by the test suite.
"""

from __future__ import annotations

from typing import Any

_FIXED = "_engage_stream_rollback"


def install() -> None:
    """Patch moto's TransactWriteItems rollback (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, _FIXED, False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        shards: dict[str, tuple[Any, int]] = {}
        for item in transact_items:
            _, op = next(iter(item.items()))
            name = op.get("TableName")
            table = self.tables.get(name) if name else None
            shard = getattr(table, "stream_shard", None)
            if shard is not None and name not in shards:
                shards[name] = (shard, len(shard.items))
        try:
            return original(self, transact_items)
        except Exception:
            for name, (shard, count) in shards.items():
                del shard.items[count:]
                restored = self.tables.get(name)
                if restored is not None and restored.stream_shard is not shard:
                    restored.stream_shard = shard
                    shard.table = restored
            raise

    setattr(transact_write_items, _FIXED, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
