"""The state item's encoding: compressed JSON with a codec byte, and legacy plain JSON."""

from __future__ import annotations

import pytest

from shared.adapters.state_codec import (
    LEGACY_STATE_ATTRIBUTE,
    STATE_ATTRIBUTE,
    decode_state,
    decode_state_json,
    encode_state,
    read_state,
)
from shared.domain.core.state import PendingTimer, schedule_name
from tests.adapters.builders import NOW, rich_state


def test_an_encoded_state_decodes_to_the_same_state_and_is_much_smaller():
    state = rich_state()

    blob = encode_state(state)

    assert decode_state(blob) == state
    assert len(blob) < len(state.model_dump_json(exclude_defaults=True)) / 2


def test_derivable_schedule_names_are_not_stored_and_come_back_on_reading():
    state = rich_state()
    derived = schedule_name(state.profile.player_id, "nudge")
    odd = PendingTimer(rule_id="r", due_at=NOW, generation=2, schedule_name="hand-made.name")
    state.timers = {
        "nudge": PendingTimer(rule_id="r", due_at=NOW, generation=1, schedule_name=derived),
        "odd": odd,
    }

    blob = encode_state(state)

    assert derived not in decode_state_json(blob)
    assert "hand-made.name" in decode_state_json(blob)  # not derivable: kept as it is
    assert decode_state(blob).timers == state.timers


def test_a_blob_of_an_unknown_codec_is_refused_rather_than_misread():
    blob = b"\x07" + encode_state(rich_state())[1:]

    with pytest.raises(ValueError, match="unknown state codec"):
        decode_state(blob)


def test_an_item_written_before_compression_still_reads():
    state = rich_state()
    legacy = {LEGACY_STATE_ATTRIBUTE: {"S": state.model_dump_json(exclude_defaults=True)}}
    current = {STATE_ATTRIBUTE: {"B": encode_state(state)}}

    assert read_state(legacy) == read_state(current) == state
