"""Email preview: a template rendered per locale exactly as dispatch renders it.

Pure. Values are HTML-escaped in the HTML part (`render(..., html=True)`, as dispatch
does) and the localized unsubscribe footer is added to marketing email, so what the
marketer sees is what the player gets. The page shows the HTML in a sandboxed iframe
(no scripts, no same-origin), so even a hostile template cannot act on the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.domain.core.config import TEMPLATE_VARIABLES, MessageTemplate
from shared.domain.players.unsubscribe import with_footer

# What a preview fills in when no player is chosen: plausible, obviously made up.
SAMPLE_VALUES: dict[str, object] = {
    "first_name": "Alex",
    "country": "GB",
    "locale": "en",
    "points_balance": 1250,
    "deposit_count": 3,
    "favourite_category": "slots",
    "rounds_played": 42,
    "login_count": 12,
    "tier": "gold",
}
PREVIEW_UNSUBSCRIBE_URL = "https://unsubscribe.invalid/preview"


@dataclass(frozen=True)
class RenderedEmail:
    locale: str
    subject: str
    text: str
    html: str | None


def render_variants(
    templates: Iterable[MessageTemplate], values: Mapping[str, Any] | None = None
) -> list[RenderedEmail]:
    """Each variant rendered with `values` (the sample values where one is missing)."""
    filled = {**SAMPLE_VALUES, **{k: v for k, v in (values or {}).items() if v is not None}}
    filled = {k: v for k, v in filled.items() if k in TEMPLATE_VARIABLES}
    out = []
    for tpl in sorted(templates, key=lambda t: t.locale):
        subject, text, html = tpl.compiled()
        body_text = text.render(filled)
        body_html = html.render(filled, html=True) if html else None
        if tpl.channel == "email" and tpl.category == "marketing":
            body_text, body_html = with_footer(
                body_text, body_html, tpl.locale, PREVIEW_UNSUBSCRIBE_URL
            )
        out.append(RenderedEmail(tpl.locale, subject.render(filled), body_text, body_html))
    return out
