"""Marketing consent per channel and per product (pure).

The UK Gambling Commission's SR code 5.1.12 (in force since May 2025) asks for opt-in per
product (casino, betting, bingo, poker, lottery...) as well as per channel. A player answers
in two ways, both kept with the event time and the source that collected the answer:

- per channel (`consents` on `player.registered`, `player.consent_changed` without
  `product`): "email from you: yes";
- per product and channel (`products` on `player.registered`, `player.consent_changed` with
  `product`): "casino offers by email: no".

A message's product comes from its template (`product`). The answer that counts for
(product, channel) is the latest of the two that cover it, by event time; on a tie the
product's own answer wins because it is the more specific. So:

- a player who never answered per product keeps today's behaviour: the channel answer covers
  every product (the migration of existing per-channel consent is this rule: nothing stored
  is rewritten);
- a later one-click unsubscribe, hard bounce or complaint (channel answers) stops every
  product on that channel;
- a later per-product opt-in after such an unsubscribe opens that product only.

A template without a product needs the channel answer only, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, StrictBool

from events.models import Channel


class ConsentAnswer(BaseModel):
    """One answer for one product on one channel: what, when (event time), from where."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    granted: StrictBool
    at: datetime
    source: str | None = None


ProductConsents = dict[str, dict[str, ConsentAnswer]]
"""product -> channel -> the latest answer for it."""


def set_product_answers(
    current: ProductConsents,
    answers: Mapping[str, Mapping[Channel, bool]],
    at: datetime,
    source: str | None,
) -> ProductConsents | None:
    """`current` with each (product, channel) answer applied unless a later one is already
    there (by event time); None when nothing changes."""
    out: ProductConsents | None = None
    for product, channels in answers.items():
        for channel, granted in channels.items():
            held = current.get(product, {}).get(channel)
            if held is not None and held.at > at:
                continue
            answer = ConsentAnswer(granted=granted, at=at, source=source)
            if held == answer:
                continue
            if out is None:
                out = {p: dict(c) for p, c in current.items()}
            out.setdefault(product, {})[channel] = answer
    return out


def consent_refusal(
    channel_granted: bool,
    channel_set_at: datetime | None,
    products: ProductConsents,
    channel: str,
    product: str | None,
) -> str | None:
    """Why a marketing message for `product` may not go by `channel`, or None if it may.

    `channel_granted`/`channel_set_at`: the channel answer and its event time (None when the
    player never gave one, or only through data older than the time stamps)."""
    answer = products.get(product, {}).get(channel) if product else None
    if answer is not None and (channel_set_at is None or answer.at >= channel_set_at):
        return None if answer.granted else f"no {channel} consent for {product}"
    return None if channel_granted else f"no {channel} consent"


def merge_product_consents(into: ProductConsents, other: ProductConsents) -> ProductConsents:
    """Two players become one: per (product, channel), consent only when every answer there
    consented (an opt-out on either side stays), stamped with the later time."""
    out = {p: dict(c) for p, c in into.items()}
    for product, channels in other.items():
        mine = out.setdefault(product, {})
        for channel, theirs in channels.items():
            held = mine.get(channel)
            if held is None:
                mine[channel] = theirs
                continue
            latest = held if held.at >= theirs.at else theirs
            mine[channel] = latest.model_copy(update={"granted": held.granted and theirs.granted})
    return out
