"""The state item's encoding: compressed JSON with a codec byte, and legacy plain JSON."""

from __future__ import annotations

import pytest

from shared.adapters.state_codec import (
    LEGACY_STATE_ATTRIBUTE,
    STATE_ATTRIBUTE,
    decode_state_json,
    encode_state,
    read_state,
)
from tests.adapters.builders import rich_state


def test_an_encoded_state_decodes_to_the_same_json_and_is_smaller():
    text = rich_state().model_dump_json(exclude_defaults=True)

    blob = encode_state(text)

    assert decode_state_json(blob) == text
    assert len(blob) < len(text) / 2


def test_a_blob_of_an_unknown_codec_is_refused_rather_than_misread():
    blob = b"\x07" + encode_state("{}")[1:]

    with pytest.raises(ValueError, match="unknown state codec"):
        decode_state_json(blob)


def test_an_item_written_before_compression_still_reads():
    state = rich_state()
    legacy = {LEGACY_STATE_ATTRIBUTE: {"S": state.model_dump_json(exclude_defaults=True)}}
    current = {STATE_ATTRIBUTE: {"B": encode_state(state.model_dump_json(exclude_defaults=True))}}

    assert read_state(legacy) == read_state(current) == state
