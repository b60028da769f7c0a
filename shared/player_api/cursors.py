"""Page cursors the player API hands out: a sort key inside one item kind, base64url."""

from __future__ import annotations

import base64
import binascii

from shared.adapters.player_store import INBOX_PREFIX


class BadCursor(ValueError):
    """The cursor was not one this API handed out."""


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, prefix: str = INBOX_PREFIX) -> str:
    # Only a sort key inside one item kind (the inbox, the ledger): the partition always
    # comes from the path, so a crafted cursor cannot reach another player's items or
    # other item kinds.
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor("the cursor is not valid") from exc
    if not text.startswith(prefix):
        raise BadCursor("the cursor is not valid")
    return text
