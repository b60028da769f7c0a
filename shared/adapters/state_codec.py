"""How a player's state is kept in its DynamoDB item: compressed JSON in one binary attribute.

DynamoDB bills a write per started KB of the item (twice inside a transaction) and a read
per started 4 KB. A month of play is about 5 KB of state JSON. Two things shrink it:
timer schedule names are left out when they are the ones `schedule_name(player, timer)`
derives (40 hex digits each that no compressor can shorten; put back on reading), and the
rest is deflated with a preset dictionary of typical state (state_dictionary.py). About
0.6 KB stays: one write unit. The first byte names the codec, so a better one can come
later while old items still read. Items written before this attribute existed hold plain
JSON in `state`; they are read as they are and rewritten compressed on their next commit.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from shared.adapters.state_dictionary import STATE_DICTIONARY_V1
from shared.domain.core.state import PlayerState, schedule_name

# The binary attribute holding the encoded state, and the legacy plain-JSON one.
STATE_ATTRIBUTE = "sz"
LEGACY_STATE_ATTRIBUTE = "state"
_CODEC_V1 = 1


def encode_state(state: PlayerState) -> bytes:
    """The state item's `sz` value: defaults and derivable schedule names left out."""
    data = state.model_dump(mode="json", exclude_defaults=True)
    player_id = state.profile.player_id
    for timer, pending in data.get("timers", {}).items():
        if pending.get("schedule_name") == schedule_name(player_id, timer):
            del pending["schedule_name"]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    packer = zlib.compressobj(
        9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, STATE_DICTIONARY_V1
    )
    return bytes([_CODEC_V1]) + packer.compress(text.encode()) + packer.flush()


def decode_state_json(blob: bytes) -> str:
    """The JSON an `sz` value holds, as stored; ValueError for a codec this code does not know."""
    if not blob or blob[0] != _CODEC_V1:
        raise ValueError(f"unknown state codec {blob[:1]!r}")
    unpacker = zlib.decompressobj(-15, zdict=STATE_DICTIONARY_V1)
    return (unpacker.decompress(blob[1:]) + unpacker.flush()).decode()


def decode_state(blob: bytes) -> PlayerState:
    """The PlayerState an `sz` value holds (schedule names derived again)."""
    data = json.loads(decode_state_json(blob))
    player_id = data["profile"]["player_id"]
    for timer, pending in data.get("timers", {}).items():
        pending.setdefault("schedule_name", schedule_name(player_id, timer))
    return PlayerState.model_validate(data)


def read_state(item: dict[str, Any]) -> PlayerState:
    """The PlayerState of a raw STATE item (either encoding)."""
    if STATE_ATTRIBUTE in item:
        return decode_state(bytes(item[STATE_ATTRIBUTE]["B"]))
    return PlayerState.model_validate_json(item[LEGACY_STATE_ATTRIBUTE]["S"])
