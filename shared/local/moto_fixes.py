"""Two fixes to moto: DynamoDB's rollback, so the local runtime behaves as DynamoDB does,
and Cognito's pool creation, which re-imports the same signing key for every pool.

## DynamoDB

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

## Cognito
Every `CreateUserPool` imports moto's one bundled private JWK (the same file each time), and
the import recovers the key's primes and checks it: about 0.13 s a pool, a third of a
console test's setup. The imported key is immutable (it only signs tokens), so the fix
imports it once and hands every pool that same key.
"""

from __future__ import annotations

import json
from typing import Any

_FIXED = "_engage_stream_rollback"


def install() -> None:
    """Patch moto's TransactWriteItems rollback and Cognito's key import (idempotent)."""
    _install_rollback()
    _install_cognito_key_once()


def _install_rollback() -> None:
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


class _KeyImportedOnce:
    """Stands in for `joserfc.jwk` in moto's Cognito models, whose one use is
    `jwk.RSAKey.import_key(<the bundled key>)` when a pool is created."""

    def __init__(self, jwk: Any) -> None:
        self._jwk = jwk
        self._keys: dict[str, Any] = {}
        self.RSAKey = self

    def import_key(self, value: dict[str, Any]) -> Any:
        text = json.dumps(value, sort_keys=True)
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = self._jwk.RSAKey.import_key(value)
        return key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jwk, name)


def _install_cognito_key_once() -> None:
    from moto.cognitoidp import models

    jwk = getattr(models, "jwk")  # noqa: B009 - moto imports it without re-exporting it
    if not isinstance(jwk, _KeyImportedOnce):
        setattr(models, "jwk", _KeyImportedOnce(jwk))  # noqa: B010
