"""One-click unsubscribe tokens: signed, expiring, bound to one player and channel."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.players.unsubscribe import (
    DEFAULT_VALIDITY,
    TokenError,
    TokenSigner,
    language,
    token_digest,
    with_footer,
)

KEY = b"k" * 32
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def signer(key: bytes = KEY) -> TokenSigner:
    return TokenSigner(key)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_given_a_fresh_token_when_verified_then_it_names_the_player_and_channel():
    token = signer().sign("p-1001", "email", NOW)

    request = signer().verify(token, NOW + timedelta(days=1))

    assert (request.player_id, request.channel) == ("p-1001", "email")
    assert request.expires_at == NOW + DEFAULT_VALIDITY


def test_given_a_player_id_with_dots_and_colons_then_it_round_trips():
    token = signer().sign("tenant:p.1_0", "email", NOW)

    assert signer().verify(token, NOW).player_id == "tenant:p.1_0"


def test_given_the_expiry_has_passed_when_verified_then_expired():
    token = signer().sign("p-1", "email", NOW)

    with pytest.raises(TokenError) as refused:
        signer().verify(token, NOW + DEFAULT_VALIDITY)

    assert refused.value.reason == "expired"


def test_given_another_key_when_verified_then_bad_signature():
    token = TokenSigner(b"x" * 32).sign("p-1", "email", NOW)

    with pytest.raises(TokenError) as refused:
        signer().verify(token, NOW)

    assert refused.value.reason == "bad signature"


def test_given_the_payload_swapped_for_another_player_then_bad_signature():
    token = signer().sign("p-1", "email", NOW)
    _, mac = token.split(".")
    forged_payload = b64(f"1|email|{int((NOW + DEFAULT_VALIDITY).timestamp())}|p-2".encode())

    with pytest.raises(TokenError) as refused:
        signer().verify(f"{forged_payload}.{mac}", NOW)

    assert refused.value.reason == "bad signature"


def test_given_a_later_expiry_written_into_the_payload_then_bad_signature():
    token = signer().sign("p-1", "email", NOW)
    _, mac = token.split(".")
    forged_payload = b64(b"1|email|9999999999|p-1")

    with pytest.raises(TokenError) as refused:
        signer().verify(f"{forged_payload}.{mac}", NOW)

    assert refused.value.reason == "bad signature"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "***.***", "a" * 2000, "Zm9v.", ".Zm9v"],
    ids=["empty", "no-dot", "two-dots", "not-base64", "huge", "no-mac", "no-payload"],
)
def test_given_a_malformed_token_then_malformed(token):
    with pytest.raises(TokenError) as refused:
        signer().verify(token, NOW)

    assert refused.value.reason == "malformed"


def test_given_a_validly_signed_payload_of_the_wrong_shape_then_malformed():
    import hashlib
    import hmac

    payload = b"1|carrier-pigeon|9999999999|p-1"
    mac = hmac.new(KEY, payload, hashlib.sha256).digest()

    with pytest.raises(TokenError) as refused:
        signer().verify(f"{b64(payload)}.{b64(mac)}", NOW)

    assert refused.value.reason == "malformed"


def test_given_a_short_key_then_the_signer_refuses_it():
    with pytest.raises(ValueError, match="32 bytes"):
        TokenSigner(b"short")


def test_given_the_same_token_then_the_same_digest():
    token = signer().sign("p-1", "email", NOW)
    assert token_digest(token) == token_digest(token)
    assert token_digest(token) != token_digest(signer().sign("p-2", "email", NOW))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("uk-UA", "uk"), ("ru", "ru"), ("en-GB", "en"), ("de", "en"), (None, "en")],
)
def test_footer_language_falls_back_to_english(locale, expected):
    assert language(locale) == expected


def test_given_html_with_a_body_then_the_footer_goes_inside_it_escaped():
    text, html = with_footer(
        "Hi", "<html><body><p>Hi</p></body></html>", "uk", "https://u.example/unsubscribe?t=a&b"
    )

    assert text.endswith("Відписатися: https://u.example/unsubscribe?t=a&b\n")
    assert html is not None
    assert html.endswith("</p></body></html>")
    assert 'href="https://u.example/unsubscribe?t=a&amp;b"' in html
    assert "ses:no-track" in html


def test_given_text_only_then_html_stays_absent():
    text, html = with_footer("Hi", None, "en", "https://u.example/unsubscribe?t=x")

    assert html is None
    assert "Unsubscribe: https://u.example/unsubscribe?t=x" in text
