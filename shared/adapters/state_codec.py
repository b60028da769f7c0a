"""How a player's state is kept in its DynamoDB item: compressed JSON in one binary attribute.

DynamoDB bills a write per started KB of the item (twice inside a transaction) and a read
per started 4 KB. A month of play is about 5 KB of state JSON. Two things shrink it:
timer schedule names are left out when they are the ones `schedule_name(player, timer)`
derives (40 hex digits each that no compressor can shorten; put back on reading), and the
rest is deflated with a preset dictionary of typical state (state_dictionary.py). About
0.6 KB stays: one write unit. The first byte names the codec, so a better one can come
later while old items still read. Items written before this attribute existed hold plain
JSON in `state`; they are read as they are and rewritten compressed on their next commit.

Codec 2 is codec 1 (same dictionary) whose JSON may also hold, under TAIL_KEY, the ledger
lines not yet paged (ledger_tail.py): compressed together with the state, a line costs
the few bytes the state does not already say. A codec 1 blob reads as a state with an
empty tail; code that knows only codec 1 refuses a codec 2 blob instead of misreading it.

Codec 3 is codec 2 whose ledger lines (in the tail and on pages) may hold their action's
number instead of an id it derives (ledger_tail.PATH_KEY). Code that knows only codecs 1
and 2 refuses it, rather than failing on a line without an id.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

from shared.adapters.ledger_tail import LedgerTail
from shared.adapters.state_dictionary import STATE_DICTIONARY_V1
from shared.domain.core.state import PlayerState, schedule_name

# The binary attribute holding the encoded state, and the legacy plain-JSON one.
STATE_ATTRIBUTE = "sz"
LEGACY_STATE_ATTRIBUTE = "state"
_CODEC_V1 = 1
_CODEC_V2 = 2
_CODEC_V3 = 3
_KNOWN = (_CODEC_V1, _CODEC_V2, _CODEC_V3)
# Not a PlayerState field name (those are identifiers), so it can never clash with one.
TAIL_KEY = "~ledger"


def pack(text: str, codec: int = _CODEC_V3) -> bytes:
    """Codec byte + `text` deflated with the state dictionary (also for ledger pages)."""
    packer = zlib.compressobj(
        9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, STATE_DICTIONARY_V1
    )
    return bytes([codec]) + packer.compress(text.encode()) + packer.flush()


def unpack(blob: bytes) -> str:
    """The text of a `pack`ed value; ValueError for a codec this code does not know."""
    if not blob or blob[0] not in _KNOWN:
        raise ValueError(f"unknown state codec {blob[:1]!r}")
    unpacker = zlib.decompressobj(-15, zdict=STATE_DICTIONARY_V1)
    return (unpacker.decompress(blob[1:]) + unpacker.flush()).decode()


def encode_state(state: PlayerState, tail: LedgerTail | None = None) -> bytes:
    """The state item's `sz` value: defaults and derivable schedule names left out, and the
    ledger tail (if any) in the same JSON."""
    data = state.model_dump(mode="json", exclude_defaults=True)
    player_id = state.profile.player_id
    for timer, pending in data.get("timers", {}).items():
        if pending.get("schedule_name") == schedule_name(player_id, timer):
            del pending["schedule_name"]
    kept = tail.to_json() if tail is not None else None
    if kept is not None:
        data[TAIL_KEY] = kept
    return pack(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


# The JSON an `sz` value holds, as stored (tests and tools read it).
decode_state_json = unpack


def decode_stored(blob: bytes) -> tuple[PlayerState, LedgerTail]:
    """The PlayerState an `sz` value holds (schedule names derived again) and its tail."""
    data = json.loads(unpack(blob))
    tail = LedgerTail.from_json(data.pop(TAIL_KEY, None))
    player_id = data["profile"]["player_id"]
    for timer, pending in data.get("timers", {}).items():
        pending.setdefault("schedule_name", schedule_name(player_id, timer))
    return PlayerState.model_validate(data), tail


def decode_state(blob: bytes) -> PlayerState:
    """The PlayerState an `sz` value holds (schedule names derived again)."""
    return decode_stored(blob)[0]


def _blob(item: Mapping[str, Any]) -> bytes:
    """The `sz` value of a STATE item, or of its stream image: a Lambda event carries
    binary attributes base64-encoded, boto3 gives bytes."""
    value = item[STATE_ATTRIBUTE]["B"]
    return base64.b64decode(value) if isinstance(value, str) else bytes(value)


def read_stored(item: Mapping[str, Any]) -> tuple[PlayerState, LedgerTail]:
    """The PlayerState of a raw STATE item or its stream image (either encoding) and its
    ledger tail."""
    if STATE_ATTRIBUTE in item:
        return decode_stored(_blob(item))
    return PlayerState.model_validate_json(item[LEGACY_STATE_ATTRIBUTE]["S"]), LedgerTail()


def read_state(item: Mapping[str, Any]) -> PlayerState:
    """The PlayerState of a raw STATE item (either encoding)."""
    return read_stored(item)[0]


def read_tail(item: Mapping[str, Any]) -> LedgerTail:
    """The ledger tail of a raw STATE item or its stream image, without building its
    PlayerState."""
    if STATE_ATTRIBUTE not in item:
        return LedgerTail()
    data = json.loads(unpack(_blob(item)))
    return LedgerTail.from_json(data.get(TAIL_KEY))
