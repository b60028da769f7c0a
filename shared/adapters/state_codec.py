"""How a player's state is kept in its DynamoDB item: compressed JSON in one binary attribute.

DynamoDB bills a write per started KB of the item (twice inside a transaction) and a read
per started 4 KB. A month of play is about 5 KB of state JSON; deflate with a preset
dictionary of typical state (state_dictionary.py) brings it to about 0.9 KB, one unit.
The first byte names the codec, so a better one can come later while old items still
read. Items written before this attribute existed hold plain JSON in `state`; they are
read as they are and rewritten compressed on their next commit.
"""

from __future__ import annotations

import zlib
from typing import Any

from shared.adapters.state_dictionary import STATE_DICTIONARY_V1
from shared.domain.state import PlayerState

# The binary attribute holding the encoded state, and the legacy plain-JSON one.
STATE_ATTRIBUTE = "sz"
LEGACY_STATE_ATTRIBUTE = "state"
_CODEC_V1 = 1


def encode_state(state_json: str) -> bytes:
    """The state item's `sz` value for this JSON."""
    packer = zlib.compressobj(
        9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, STATE_DICTIONARY_V1
    )
    return bytes([_CODEC_V1]) + packer.compress(state_json.encode()) + packer.flush()


def decode_state_json(blob: bytes) -> str:
    """The JSON an `sz` value holds; ValueError for a codec this code does not know."""
    if not blob or blob[0] != _CODEC_V1:
        raise ValueError(f"unknown state codec {blob[:1]!r}")
    unpacker = zlib.decompressobj(-15, zdict=STATE_DICTIONARY_V1)
    return (unpacker.decompress(blob[1:]) + unpacker.flush()).decode()


def read_state(item: dict[str, Any]) -> PlayerState:
    """The PlayerState of a raw STATE item (either encoding)."""
    if STATE_ATTRIBUTE in item:
        return PlayerState.model_validate_json(decode_state_json(bytes(item[STATE_ATTRIBUTE]["B"])))
    return PlayerState.model_validate_json(item[LEGACY_STATE_ATTRIBUTE]["S"])
