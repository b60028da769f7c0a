"""Audiences for ads platforms: hashed, normalized contacts of consenting players (pure).

Who is in: members of the segment whose marketing consent covers the channel (email for
the email column, sms for the phone column), who may receive marketing now (not
self-excluded, not cooling off, no standing RG flag: the same gate as every marketing
send), and who are not in the control group (a held-out player must not be reached by ads
either, or the experiment measures nothing). A player with neither usable contact is left
out, counted by reason.

Normalization follows the platforms' upload rules, then SHA-256 (lower-case hex):
- Google Customer Match: email trimmed and lower-cased; for gmail.com and googlemail.com
  the dots of the local part removed. Phone in E.164 with its "+".
- Meta custom audiences: email trimmed and lower-cased. Phone as digits only, country code
  first, no "+" and no leading zeros.
- The generic CSV uses Google's email rule and E.164 phones.

No contact leaves unhashed, and nothing here logs one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.domain.core.state import PlayerState
from shared.domain.measurement.experiments import ExperimentSettings
from shared.domain.players.rg import gate

AudienceFormat = Literal["csv", "google", "meta"]
FORMATS: tuple[AudienceFormat, ...] = ("csv", "google", "meta")
META_BATCH = 10_000
"""Rows per Meta Marketing API `users` request (the API's limit)."""
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalize_email(email: str, platform: AudienceFormat) -> str:
    address = email.strip().lower()
    local, _, domain = address.partition("@")
    if platform != "meta" and domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def normalize_phone(phone: str, platform: AudienceFormat) -> str:
    digits = "".join(c for c in phone if c.isdigit()).lstrip("0")
    return digits if platform == "meta" else f"+{digits}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AudienceRow:
    email_sha256: str | None
    phone_sha256: str | None


@dataclass
class Audience:
    segment: str
    format: AudienceFormat
    rows: list[AudienceRow] = field(default_factory=list)
    # Members left out, by reason (no consent, responsible gaming, control group, ...).
    excluded: Counter[str] = field(default_factory=Counter)
    members: int = 0


def audience_row(
    state: PlayerState,
    platform: AudienceFormat,
    at: datetime,
    experiments: ExperimentSettings,
) -> AudienceRow | str:
    """The player's hashed row, or why they are left out."""
    profile = state.profile
    if experiments.in_control_group(profile.player_id):
        return "control group"
    verdict = gate(state.rg, "marketing_message", (at,))
    if not verdict.allowed:
        return "responsible gaming"
    email = profile.email if profile.consents.email else None
    phone = profile.phone if profile.consents.sms else None
    if email is None and phone is None:
        has_contact = profile.email is not None or profile.phone is not None
        return "no marketing consent" if has_contact else "no email or phone"
    return AudienceRow(
        email_sha256=sha256(normalize_email(email, platform)) if email else None,
        phone_sha256=sha256(normalize_phone(phone, platform)) if phone else None,
    )


def build_audience(
    segment: str,
    platform: AudienceFormat,
    states: Iterable[PlayerState],
    at: datetime,
    experiments: ExperimentSettings,
) -> Audience:
    """The segment's members as hashed rows; the rest counted by reason."""
    audience = Audience(segment=segment, format=platform)
    seen: set[AudienceRow] = set()
    for state in states:
        if segment not in state.segments:
            continue
        audience.members += 1
        row = audience_row(state, platform, at, experiments)
        if isinstance(row, str):
            audience.excluded[row] += 1
        elif row in seen:
            # Two players sharing a contact are one person to an ads platform.
            audience.excluded["duplicate contact"] += 1
        else:
            seen.add(row)
            audience.rows.append(row)
    # Sorted by hash: the same audience gives the same file, whatever order players came in.
    audience.rows.sort(key=lambda r: (r.email_sha256 or "", r.phone_sha256 or ""))
    return audience


def render_audience(audience: Audience) -> str:
    """The file to upload: CSV (generic or Google's Customer Match headers) or Meta's
    Marketing API payloads (one JSON object per line, META_BATCH rows each)."""
    if audience.format == "meta":
        lines = []
        rows = [[r.email_sha256 or "", r.phone_sha256 or ""] for r in audience.rows]
        for start in range(0, len(rows), META_BATCH):
            payload = {"schema": ["EMAIL", "PHONE"], "data": rows[start : start + META_BATCH]}
            lines.append(json.dumps({"payload": payload}, separators=(",", ":")))
        return "".join(line + "\n" for line in lines)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Email", "Phone"] if audience.format == "google" else ["email_sha256", "phone_sha256"]
    )
    for row in audience.rows:
        writer.writerow([row.email_sha256 or "", row.phone_sha256 or ""])
    return out.getvalue()
