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


class PublishIn(_In):
    expected_version: Annotated[
        int | None, Field(ge=0, description="The config version you reviewed.")
    ] = None
    note: Annotated[str | None, Field(max_length=200)] = None


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
