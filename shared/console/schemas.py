"""Request and response models of the console API (the OpenAPI document is built from them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.models import PlayerId
from shared.console.roles import Role

Document = dict[str, Any]


class _In(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class FieldErrorOut(BaseModel):
    path: str
    message: str


class ErrorOut(BaseModel):
    error: str
    message: str
    errors: list[FieldErrorOut] = []


class MeOut(BaseModel):
    user: str
    role: Role | None
    can_write: bool


class KindOut(BaseModel):
    name: str
    label: str
    can_enable: bool


class ItemOut(BaseModel):
    kind: str
    item_id: str
    version: int
    body: Document | None
    updated_at: str | None
    updated_by: str | None
    enabled: bool | None
    problems: list[FieldErrorOut]
    # Worth a look, not refused: SMS segments, push lengths.
    warnings: list[FieldErrorOut] = Field(default_factory=list)
    status: Literal["live", "draft", "new"] | None = Field(
        default=None, description="Against the live publication (None: not compared)."
    )
    live_version: int | None = None


class ItemsOut(BaseModel):
    kind: str
    published_version: int
    items: list[ItemOut]


class CreateIn(_In):
    body: Document


class UpdateIn(_In):
    # 0: an item written outside the console without a version.
    version: Annotated[int, Field(ge=0, description="The item version you edited.")]
    body: Document


class VersionIn(_In):
    version: Annotated[int, Field(ge=0, description="The item version you saw.")]


class DeletedOut(BaseModel):
    kind: str
    item_id: str
    deleted: bool


class HistoryEntryOut(BaseModel):
    version: int
    action: str
    actor: str
    at: str
    note: str | None
    changes: list[dict[str, Any]]
    after: Document | None


class HistoryOut(BaseModel):
    kind: str
    item_id: str
    entries: list[HistoryEntryOut]


class ItemRefIn(_In):
    kind: Annotated[str, Field(min_length=1, max_length=40)]
    item_id: Annotated[str, Field(min_length=1, max_length=300)]


class PublishIn(_In):
    expected_version: Annotated[
        int | None, Field(ge=0, description="The config version you reviewed.")
    ] = None
    note: Annotated[str | None, Field(max_length=200)] = None
    changes: Annotated[
        list[ItemRefIn] | None,
        Field(
            max_length=500,
            description="Publish only these pending changes (all of them when omitted).",
        ),
    ] = None


class PendingChangeOut(BaseModel):
    kind: str
    item_id: str
    change: Literal["new", "draft", "deleted"]
    live_version: int | None
    draft_version: int | None
    authors: list[str]
    at: str | None
    changes: list[dict[str, Any]]


class PendingOut(BaseModel):
    published_version: int
    changes: list[PendingChangeOut]


class ActivityEntryOut(BaseModel):
    at: str
    actor: str
    action: str
    kind: str | None
    item_id: str | None
    version: int
    note: str | None


class ActivityOut(BaseModel):
    entries: list[ActivityEntryOut]


class FormOut(BaseModel):
    kind: str
    # The kind's JSON Schema, annotated for drawing (shared/console/forms.py).
    form: dict[str, Any]
    new: Document


class PickersOut(BaseModel):
    options: dict[str, list[str]]
    player_fields: list[str]
    event_fields: dict[str, list[str]]


class JourneyOut(BaseModel):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    counts_from: str | None = None


class ReachIn(_In):
    segment: Document | None = None
    rule: Document | None = None
    condition: Document | None = None


class ReachOut(BaseModel):
    matched: int
    scanned: int
    complete: bool
    sample: list[str]
    notes: list[str]


class PreviewIn(_In):
    template_id: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Literal["email", "sms", "push", "inbox"] = "email"
    # The draft being edited: shown in place of its stored locale variant.
    draft: Document | None = None
    player_id: PlayerId | None = None


class RenderedEmailOut(BaseModel):
    locale: str
    subject: str
    text: str
    html: str | None


class PreviewOut(BaseModel):
    template_id: str
    channel: str
    values_from: str
    variants: list[RenderedEmailOut]


class PublicationOut(BaseModel):
    config_version: int
    items: dict[str, dict[str, int]]
    actor: str
    at: str
    note: str | None


class PublicationsOut(BaseModel):
    published_version: int
    publications: list[PublicationOut]


class DryRunIn(_In):
    rule: Document
    event: Document
    player_id: PlayerId


class RenderedVariantOut(BaseModel):
    locale: str
    subject: str
    text: str


class MessagePreviewOut(BaseModel):
    action_path: str
    template: str
    channel: str
    on_timer: bool
    would_send_now: bool
    variants: list[RenderedVariantOut]
    timer_condition_fails: str | None = None


class DryRunOut(BaseModel):
    rule_id: str
    player_id: str
    player_known: bool
    detail_type: str
    listens: bool
    matched: bool
    failed_condition: str | None
    actions: list[str]
    effects: list[dict[str, Any]]
    points: int
    messages: list[MessagePreviewOut]
    suppressions: list[str]
    other_rules: list[str]
    notes: list[str]
    variant: str | None = None
    held_out: list[str] = []


class DevLoginIn(_In):
    user: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
    role: Role


class TokenOut(BaseModel):
    token: str
    expires_in: Annotated[int, Field(description="Seconds the token stays valid.")]


class SignInIn(_In):
    code: Annotated[str, Field(min_length=1, max_length=2048)]
    verifier: Annotated[str, Field(min_length=43, max_length=128)]
    redirect_uri: Annotated[str, Field(min_length=8, max_length=2048, pattern=r"^https://")]


class UiConfigOut(BaseModel):
    auth: Literal["dev", "cognito"]
    domain: str | None = None
    client_id: str | None = None


Username = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@+-]+$")]


class UserOut(BaseModel):
    username: str
    email: str | None
    role: Role | None
    enabled: bool
    status: str


class UsersOut(BaseModel):
    users: list[UserOut]


class InviteIn(_In):
    username: Username
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    role: Role


class RoleIn(_In):
    role: Role


class UserChangedOut(BaseModel):
    username: str
    role: Role | None
    enabled: bool
