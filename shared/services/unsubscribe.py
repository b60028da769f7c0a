"""The one-click unsubscribe route: API Gateway HTTP API (v2) events -> consent changes.

- `GET /unsubscribe?t=TOKEN` shows a confirmation page and changes nothing: mail scanners
  and link previews fetch links, and must not unsubscribe anyone.
- `POST /unsubscribe?t=TOKEN` with the body `List-Unsubscribe=One-Click` (RFC 8058: what a
  mail client's own Unsubscribe button sends, and what the page's button sends) puts
  `player.consent_changed` (granted false) on the engage bus.

No login: the signed token is the authority, and it names one player and one channel. A
forged, tampered or expired token is refused with a 4xx and changes nothing. Pages hold no
personal data (not even the player id) and run under a CSP that allows no script at all.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs

from events.models import ConsentChanged
from shared.clock import Clock
from shared.domain.players.unsubscribe import TokenError, TokenSigner, token_digest

PATH = "/unsubscribe"
ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"
MAX_BODY = 4096

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The token is in the URL: never pass it on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_TEXT = {
    "en": {
        "title": "Unsubscribe",
        "confirm": "Stop marketing emails from us? Service emails about your account continue.",
        "button": "Unsubscribe",
        "done": "You are unsubscribed. You will get no more marketing emails from us.",
        "expired": "This link has expired. You can change what we send in your account settings.",
        "invalid": "This link is not valid. You can change what we send in your account settings.",
        "busy": "We could not do this just now. Please try again in a minute.",
        "bad_request": "This request is not a one-click unsubscribe.",
    },
    "uk": {
        "title": "Відписатися",
        "confirm": "Більше не надсилати рекламних листів? Службові листи про акаунт надходитимуть.",
        "button": "Відписатися",
        "done": "Ви відписалися. Рекламних листів від нас більше не буде.",
        "expired": "Термін дії посилання минув. Змініть розсилки в налаштуваннях акаунта.",
        "invalid": "Посилання недійсне. Змініть розсилки в налаштуваннях акаунта.",
        "busy": "Зараз не вдалося. Спробуйте ще раз за хвилину.",
        "bad_request": "Це не запит на відписку в один клік.",
    },
    "ru": {
        "title": "Отписаться",
        "confirm": "Больше не присылать рекламные письма? Служебные письма об аккаунте останутся.",  # noqa: RUF001 - Cyrillic on purpose
        "button": "Отписаться",
        "done": "Вы отписались. Рекламных писем от нас больше не будет.",
        "expired": "Срок действия ссылки истёк. Измените рассылки в настройках аккаунта.",
        "invalid": "Ссылка недействительна. Измените рассылки в настройках аккаунта.",
        "busy": "Сейчас не получилось. Попробуйте ещё раз через минуту.",
        "bad_request": "Это не запрос на отписку в один клик.",
    },
}


class PublisherPort(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


class UnsubscribeObserver(Protocol):
    def unsubscribe(self, outcome: str, reason: str | None) -> None:
        """Outcome and refusal reason only: never the token, the player or an address."""
        ...


class _Silent:
    def unsubscribe(self, outcome: str, reason: str | None) -> None:
        pass


def _language(headers: Mapping[str, str]) -> str:
    for part in headers.get("accept-language", "").split(","):
        primary = part.split(";")[0].strip().split("-")[0].lower()
        if primary in _TEXT:
            return primary
    return "en"


def _page(status: int, lang: str, message: str, form_token: str | None = None) -> dict[str, Any]:
    t = _TEXT[lang]
    form = ""
    if form_token is not None:
        # Posts back to this same URL (form-action 'self'), the way a mail client would.
        form = (
            f'<form method="post" action="?t={html.escape(form_token, quote=True)}">'
            f'<input type="hidden" name="{ONE_CLICK_FIELD}" value="{ONE_CLICK_VALUE}">'
            f'<button type="submit">{html.escape(t["button"])}</button></form>'
        )
    body = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(t['title'])}</title></head>"
        f"<body><main><h1>{html.escape(t['title'])}</h1><p>{html.escape(message)}</p>"
        f"{form}</main></body></html>"
    )
    return {"statusCode": status, "headers": dict(SECURITY_HEADERS), "body": body}


def _form_fields(event: Mapping[str, Any]) -> dict[str, list[str]]:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    if len(raw) > MAX_BODY:
        return {}
    # Form-encoded (browsers, most mail clients); RFC 8058 also allows multipart, whose
    # part we accept by its plain text too.
    if "=" in raw and "\n" not in raw.strip():
        return parse_qs(raw.strip(), keep_blank_values=True)
    if f'name="{ONE_CLICK_FIELD}"' in raw and ONE_CLICK_VALUE in raw:
        return {ONE_CLICK_FIELD: [ONE_CLICK_VALUE]}
    return {}


class UnsubscribeService:
    def __init__(
        self,
        signer: TokenSigner,
        publisher: PublisherPort,
        clock: Clock,
        observer: UnsubscribeObserver | None = None,
    ) -> None:
        self._signer = signer
        self._publisher = publisher
        self._clock = clock
        self._observer: UnsubscribeObserver = observer or _Silent()

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """One HTTP API (payload 2.0) request -> a Lambda proxy response."""
        http = event.get("requestContext", {}).get("http", {})
        method = str(http.get("method", "GET")).upper()
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        lang = _language(headers)
        t = _TEXT[lang]
        if method not in ("GET", "POST"):
            self._observer.unsubscribe("refused", "method")
            response = _page(405, lang, t["bad_request"])
            response["headers"]["Allow"] = "GET, POST"
            return response
        token = str((event.get("queryStringParameters") or {}).get("t") or "")
        now = self._clock.now()
        try:
            request = self._signer.verify(token, now)
        except TokenError as exc:
            self._observer.unsubscribe("refused", exc.reason)
            if exc.reason == "expired":
                return _page(410, lang, t["expired"])
            return _page(400, lang, t["invalid"])
        if method == "GET":
            self._observer.unsubscribe("confirmation shown", None)
            return _page(200, lang, t["confirm"], form_token=token)
        if _form_fields(event).get(ONE_CLICK_FIELD) != [ONE_CLICK_VALUE]:
            self._observer.unsubscribe("refused", "not one-click")
            return _page(400, lang, t["bad_request"])
        detail = ConsentChanged(
            player_id=request.player_id,
            # The same link used twice is one change, not two.
            event_id=f"unsubscribe:{request.channel}:{token_digest(token)}",
            occurred_at=now,
            channel=request.channel,
            granted=False,
            # Channel-wide on purpose: "stop these emails" covers every product's email.
            source="one_click_unsubscribe",
        )
        try:
            self._publisher.publish(detail.detail_type, detail.model_dump(mode="json"))
        except Exception as exc:
            self._observer.unsubscribe("failed", f"publish: {type(exc).__name__}")
            response = _page(503, lang, t["busy"])
            response["headers"]["Retry-After"] = "60"
            return response
        self._observer.unsubscribe("unsubscribed", None)
        return _page(200, lang, t["done"])
