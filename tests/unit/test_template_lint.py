"""Template lint: foreign placeholders and script refuse a template; lengths warn."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.domain.core.config import MessageTemplate
from shared.domain.messaging.template_lint import sms_length, template_errors, template_warnings


def email(**parts: str) -> dict[str, str]:
    return {"template_id": "t", "channel": "email", "subject": "Hi", "text": "Hello", **parts}


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("Hi *|FNAME|*, welcome", "first_name"),
        ("Hi [FIRST_NAME], welcome", "first_name"),
        ("Dear %name%", "first_name"),
        ("Hello ${first_name}", "first_name"),
        ("Your tier: {tier}", "tier"),
        ("Hi <%= name %>", "first_name"),
    ],
)
def test_another_tools_placeholder_is_refused_naming_ours(text, meant):
    with pytest.raises(ValidationError) as refused:
        MessageTemplate.model_validate(email(text=text))

    message = str(refused.value)
    assert "text:" in message
    assert "another tool's" in message
    assert f"{{{{ {meant} }}}}" in message


@pytest.mark.parametrize(
    "text",
    ["[SALE] 50% off today", "Save 20% or 30%", "Hi {{ first_name }}!", "a {color} b", "[Info]"],
)
def test_ordinary_text_that_looks_similar_is_not_a_placeholder(text):
    assert template_errors("email", [("text", text)]) == []


@pytest.mark.parametrize(
    "html",
    [
        "<p>Hi</p><script>track()</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<img src="x.png" onerror="steal()">',
    ],
)
def test_script_in_email_html_is_refused(html):
    with pytest.raises(ValidationError, match=r"html: .* is not allowed in email HTML"):
        MessageTemplate.model_validate(email(html=html))


def test_plain_html_is_accepted():
    template = MessageTemplate.model_validate(
        email(html='<p style="color:red">Hi {{ first_name }}</p><a href="https://x.example">go</a>')
    )
    assert template.warnings() == []


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("x" * 160, "GSM-7", 1),
        ("x" * 161, "GSM-7", 2),  # 153 per segment once split
        ("x" * 306, "GSM-7", 2),
        ("x" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # an extension character takes two septets
        ("€" * 81, "GSM-7", 2),
        ("Привіт" * 11, "UCS-2", 1),  # 66 characters
        ("Привіт" * 12, "UCS-2", 2),  # 72 > 70
        ("x" * 150 + "😀", "UCS-2", 3),  # one emoji: the whole SMS is UCS-2, 152 units
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2(text, encoding, segments):
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_a_long_sms_warns_with_its_segments_estimated_with_typical_values():
    template = MessageTemplate.model_validate(
        {"template_id": "t", "channel": "sms", "text": "Hi {{ first_name }}, " + "a" * 150}
    )

    (warning,) = template.warnings()
    assert warning.startswith("text: about 164 GSM-7 characters: 2 segments")


def test_a_push_with_a_long_title_and_body_warns_and_a_huge_one_is_refused():
    warnings = template_warnings("push", [("subject", "T" * 60), ("text", "b" * 200)])
    assert [w.field for w in warnings] == ["subject", "text"]

    with pytest.raises(ValidationError, match="push payload about"):
        MessageTemplate.model_validate(
            {"template_id": "t", "channel": "push", "subject": "Hi", "text": "b" * 5000}
        )
