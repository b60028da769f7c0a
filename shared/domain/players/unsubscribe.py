"""One-click unsubscribe tokens: HMAC-SHA256 signed, expiring, bound to a player and channel.

A token is `<payload>.<signature>`, both base64url without padding; the payload is
`1|<channel>|<expiry, Unix seconds>|<player_id>`. It carries the operator's player id (never
an address) so the route needs no lookup and no login, and nobody can make one for another
player without the key. Verification checks the signature (constant time) before it
believes anything in the payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

VERSION = "1"
CHANNELS = ("email", "sms", "push")
# Long enough for an old newsletter found in an archive folder, short enough that a leaked
# link does not work forever. Mail providers need the link to work for at least 2 days.
DEFAULT_VALIDITY = timedelta(days=60)
MIN_KEY_BYTES = 32

FailureReason = Literal["malformed", "bad signature", "expired"]


@dataclass(frozen=True)
class UnsubscribeRequest:
    """What a valid token asks: stop `channel` marketing for `player_id`."""

    player_id: str
    channel: str
    expires_at: datetime


class TokenError(ValueError):
    """The token is refused; `reason` is one of malformed, bad signature, expired."""

    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason)
        self.reason: FailureReason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(c not in _B64_ALPHABET for c in text):
        raise TokenError("malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed") from exc


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class TokenSigner:
    """Signs and verifies unsubscribe tokens with one secret key."""

    def __init__(self, key: bytes, validity: timedelta = DEFAULT_VALIDITY) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"an unsubscribe key needs at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._validity = validity

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def sign(self, player_id: str, channel: str, now: datetime) -> str:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        if not player_id or "|" in player_id:
            raise ValueError("a player id cannot be empty or contain '|'")
        expiry = int((now + self._validity).timestamp())
        payload = f"{VERSION}|{channel}|{expiry}|{player_id}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: str, now: datetime) -> UnsubscribeRequest:
        """The request a token makes, or TokenError saying why it is refused."""
        if not isinstance(token, str) or len(token) > 1024 or token.count(".") != 1:
            raise TokenError("malformed")
        encoded_payload, encoded_mac = token.split(".")
        payload = _unb64(encoded_payload)
        mac = _unb64(encoded_mac)
        # Constant time, and before the payload is trusted in any way.
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise TokenError("bad signature")
        try:
            version, channel, expiry_text, player_id = payload.decode("utf-8").split("|", 3)
            expires_at = datetime.fromtimestamp(int(expiry_text), UTC)
        except (UnicodeDecodeError, ValueError, OverflowError, OSError) as exc:
            raise TokenError("malformed") from exc
        if version != VERSION or channel not in CHANNELS or not player_id:
            raise TokenError("malformed")
        if now >= expires_at:
            raise TokenError("expired")
        return UnsubscribeRequest(player_id=player_id, channel=channel, expires_at=expires_at)


def token_digest(token: str) -> str:
    """A short stable id of a token: the same click twice is the same consent event."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


# --- the footer every marketing email carries -------------------------------------------------

_FOOTERS = {
    "en": ("You get this email because you agreed to hear from us.", "Unsubscribe"),
    "uk": ("Ви отримали цей лист, бо погодилися отримувати наші новини.", "Відписатися"),  # noqa: RUF001 - Cyrillic on purpose
    "ru": ("Вы получили это письмо, потому что согласились получать наши новости.", "Отписаться"),
}
DEFAULT_LANGUAGE = "en"


def language(locale: str | None) -> str:
    """The footer language for a BCP 47 locale (uk-UA -> uk), English when we have none."""
    primary = (locale or "").split("-", 1)[0].lower()
    return primary if primary in _FOOTERS else DEFAULT_LANGUAGE


def with_footer(
    text: str, html: str | None, locale: str | None, url: str
) -> tuple[str, str | None]:
    """Append the localized unsubscribe line to the text and HTML bodies."""
    import html as html_lib

    why, action = _FOOTERS[language(locale)]
    text_out = f"{text.rstrip()}\n\n--\n{why}\n{action}: {url}\n"
    if html is None:
        return text_out, None
    line = (
        # ses:no-track: SES click tracking leaves this link alone (no redirect, no click).
        f'<p>{html_lib.escape(why)} <a ses:no-track href="{html_lib.escape(url, quote=True)}">'
        f"{html_lib.escape(action)}</a></p>"
    )
    # Inside the body when the template has one, so the line is not after </html>.
    lower = html.lower()
    at = lower.rfind("</body>")
    html_out = html[:at] + line + html[at:] if at >= 0 else html + line
    return text_out, html_out
