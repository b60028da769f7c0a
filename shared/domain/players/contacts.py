"""Contact hygiene: hashed contact keys, the contact index's claims and duplicates found.

A contact (an email address or a phone number) is never a key in clear: the contact index
item is keyed by `contact_key`, a SHA-256 of the channel and the normalised value, so the
table's keys, the logs and the duplicate list show no address. The first player to register
a contact owns its index item; a later player with the same contact is a duplicate of that
first player (docs/identity.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from events.models import EventDetail, PlayerProfileUpdated, PlayerRegistered

ContactChannel = Literal["email", "phone"]
CONTACT_CHANNELS: tuple[ContactChannel, ...] = ("email", "phone")

# Which contact a message channel is addressed with.
MESSAGE_CONTACT: dict[str, ContactChannel] = {"email": "email", "sms": "phone"}


def normalise(channel: ContactChannel, value: str) -> str:
    """The form two spellings of one contact share: trimmed, and lower case for email.

    The local part of an address is case-sensitive in theory; no mailbox provider treats
    it so, and two accounts differing only in case are one person for "once per contact".
    """
    text = value.strip()
    return text.lower() if channel == "email" else text


def contact_key(channel: ContactChannel, value: str) -> str:
    """The contact index key: a hash, never the address itself."""
    text = f"engage-contact\x1f{channel}\x1f{normalise(channel, value)}"
    return hashlib.sha256(text.encode()).hexdigest()


def event_contacts(event: EventDetail) -> dict[ContactChannel, str]:
    """channel -> contact key for the contacts an event gives (registration, update)."""
    if not isinstance(event, PlayerRegistered | PlayerProfileUpdated):
        return {}
    found: dict[ContactChannel, str] = {}
    for channel in CONTACT_CHANNELS:
        value = getattr(event, channel)
        if isinstance(value, str):
            found[channel] = contact_key(channel, value)
    return found


def contact_keys(events: Iterable[EventDetail]) -> list[str]:
    """Every contact key the events give, for the engine to read the index with."""
    return sorted({key for event in events for key in event_contacts(event).values()})


@dataclass(frozen=True)
class ContactClaim:
    """Make `player_id` the owner of a contact nobody owned (written put-if-absent), or,
    with `previous`, move it from the player merged into `player_id`."""

    key: str
    channel: ContactChannel
    player_id: str
    at: datetime
    previous: str | None = None


@dataclass(frozen=True)
class DuplicateContact:
    """`player_id` gave a contact that `first_player_id` registered first."""

    key: str
    channel: ContactChannel
    player_id: str
    first_player_id: str
    at: datetime
