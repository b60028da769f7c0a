"""Config lifecycle for marketers: create, edit, enable, disable, delete, publish, roll back.

Every write is validated by the kind's validator first (an invalid document never reaches
the table), is conditional on the version the client edited (a stale edit is a conflict,
not an overwrite) and leaves an audit entry in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.adapters.config_store import RULE, SEGMENT, TEMPLATE
from shared.clock import Clock
from shared.console.diff import diff
from shared.console.errors import Conflict, FieldError, InUse, Invalid, NotFound
from shared.console.kinds import KINDS, ConfigKind, validate_document
from shared.console.pending import (
    PendingChange,
    Status,
    live_body,
    live_versions,
    pending_changes,
    selected_set,
    status_of,
)
from shared.console.references import ref_of_item, referrers
from shared.console.store import (
    Action,
    AuditEntry,
    Change,
    ConsoleConfigStore,
    Publication,
    StoredItem,
)
from shared.domain.core.config import build_config
from shared.domain.game.game_config import GAME_KINDS
from shared.errors import ConflictError


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dump_body(body: Mapping[str, Any]) -> str:
    """The stored form of a document: the same canonical JSON the CLI writes."""
    return json.dumps(body, sort_keys=True, default=_json_default)


@dataclass(frozen=True)
class ItemView:
    kind: str
    item_id: str
    version: int
    body: dict[str, Any] | None
    updated_at: str | None
    updated_by: str | None
    enabled: bool | None
    problems: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    # Against the live publication: live, draft (changed since) or new (never published).
    status: Status | None = None
    live_version: int | None = None


@dataclass(frozen=True)
class ActivityEntry:
    at: str
    actor: str
    action: str
    kind: str | None
    item_id: str | None
    version: int
    note: str | None


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    action: str
    actor: str
    at: str
    note: str | None
    changes: list[dict[str, Any]]
    after: dict[str, Any] | None


class ConfigAdmin:
    def __init__(
        self, store: ConsoleConfigStore, clock: Clock, kinds: Mapping[str, ConfigKind] = KINDS
    ) -> None:
        self._store = store
        self._clock = clock
        self._kinds = kinds

    def kind(self, name: str) -> ConfigKind:
        kind = self._kinds.get(name)
        if kind is None:
            raise NotFound(f"unknown config kind {name!r}; known: {sorted(self._kinds)}")
        return kind

    def kinds(self) -> list[ConfigKind]:
        return list(self._kinds.values())

    def now(self) -> datetime:
        """The console's clock (the virtual one locally and in tests)."""
        return self._clock.now()

    # --- reading ------------------------------------------------------------------------

    def list_items(self, kind_name: str) -> list[ItemView]:
        kind = self.kind(kind_name)
        live = live_versions(self._store, [kind.name])[kind.name]
        return [self._view(kind, item, live) for item in self._store.items(kind.name)]

    def get(self, kind_name: str, item_id: str) -> ItemView:
        kind = self.kind(kind_name)
        live = live_versions(self._store, [kind.name])[kind.name]
        return self._view(kind, self._existing(kind, item_id), live)

    def pending(self) -> list[PendingChange]:
        """What a publish of everything would change, per item, with diffs and authors."""
        live = live_versions(self._store, self._kinds)
        return pending_changes(self._store, self._kinds, live)

    def live_bodies(self, kind_name: str) -> list[dict[str, Any]]:
        """The bodies of a kind's items as the live publication has them (what runs)."""
        kind = self.kind(kind_name)
        live = live_versions(self._store, [kind.name])[kind.name]
        current = {i.item_id: i for i in self._store.items(kind.name)}
        out = []
        for item_id, version in sorted(live.items()):
            body = live_body(self._store, current.get(item_id), kind.name, item_id, version)
            if body is not None:
                out.append(body)
        return out

    def activity(self, limit: int = 100) -> list[ActivityEntry]:
        """Who changed what, newest first: every item change and every publish."""
        entries = [
            ActivityEntry(e.at, e.actor, e.action, e.kind, e.item_id, e.version, e.note)
            for e in self._store.recent_changes(limit)
        ]
        entries += [
            ActivityEntry(p.at, p.actor, "publish", None, None, p.config_version, p.note)
            for p in self._store.publications(limit)
        ]
        # At the same instant a publish follows the changes it made live.
        entries.sort(key=lambda e: (e.at, e.action == "publish"), reverse=True)
        return entries[:limit]

    def bodies(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{kind: {item id: body}} of every stored item (unreadable bodies left out)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for kind in self._kinds:
            out[kind] = {}
            for item in self._store.items(kind):
                body = item.body()
                if body is not None:
                    out[kind][item.item_id] = body
        return out

    def history(self, kind_name: str, item_id: str) -> list[HistoryEntry]:
        kind = self.kind(kind_name)
        return [_history(e) for e in self._store.audit(kind.name, item_id)]

    def publications(self) -> list[Publication]:
        return self._store.publications()

    def published_version(self) -> int:
        return self._store.published_version()

    # --- writing ------------------------------------------------------------------------

    def create(self, kind_name: str, body: Mapping[str, Any], actor: str) -> ItemView:
        kind = self.kind(kind_name)
        model = self._validated(kind, body)
        item_id = kind.item_id(model)
        if self._store.get(kind.name, item_id) is not None:
            raise Conflict(f"{kind.label} {item_id!r} already exists; edit it instead")
        # A deleted item keeps its history, so a re-created one continues its numbering.
        base = self._store.last_audited_version(kind.name, item_id)
        self._apply(kind, item_id, "create", None, base + 1, None, dump_body(body), actor)
        return self.get(kind.name, item_id)

    def update(
        self, kind_name: str, item_id: str, body: Mapping[str, Any], version: int, actor: str
    ) -> ItemView:
        kind = self.kind(kind_name)
        model = self._validated(kind, body)
        new_id = kind.item_id(model)
        if new_id != item_id:
            raise Invalid(
                f"the id of a {kind.label} cannot change",
                [FieldError(_id_field(kind), f"was {item_id!r}; create a new item instead")],
            )
        current = self._current(kind, item_id, version)
        self._apply(
            kind, item_id, "update", version, version + 1, current.body_text, dump_body(body), actor
        )
        return self.get(kind.name, item_id)

    def set_enabled(
        self, kind_name: str, item_id: str, enabled: bool, version: int, actor: str
    ) -> ItemView:
        kind = self.kind(kind_name)
        if not kind.can_enable:
            raise Invalid(
                f"a {kind.label} has no enabled flag",
                [FieldError("enabled", f"{kind.label} items cannot be enabled or disabled")],
            )
        current = self._current(kind, item_id, version)
        body = current.body()
        if body is None:
            raise Invalid("the stored item is not a JSON object; fix or delete it")
        if not enabled:
            self._refuse_if_referred(kind, item_id, "disable")
        body = {**body, "enabled": enabled}
        self._validated(kind, body)
        action: Action = "enable" if enabled else "disable"
        self._apply(
            kind, item_id, action, version, version + 1, current.body_text, dump_body(body), actor
        )
        return self.get(kind.name, item_id)

    def delete(self, kind_name: str, item_id: str, version: int, actor: str) -> None:
        kind = self.kind(kind_name)
        current = self._current(kind, item_id, version)
        self._refuse_if_referred(kind, item_id, "delete")
        self._apply(kind, item_id, "delete", version, version + 1, current.body_text, None, actor)

    def _refuse_if_referred(self, kind: ConfigKind, item_id: str, doing: str) -> None:
        """Refuse to take away an item an enabled item needs: publishing would refuse the
        referrer, and so every later publish, until someone found out why."""
        target = ref_of_item(kind.name, item_id)
        if kind.name == TEMPLATE:
            others = [i for i in self._store.items(TEMPLATE) if i.item_id != item_id]
            if any(ref_of_item(TEMPLATE, i.item_id) == target for i in others):
                return  # another locale of the same message stays: references still resolve
        users = referrers(target, self.bodies())
        if users:
            names = ", ".join(f"{self._label(k)} {i!r}" for k, i in users)
            raise InUse(
                f"cannot {doing} {kind.label} {item_id!r}: {names} still use it; "
                "change or disable those first",
                [FieldError(f"{k}.{i}", f"refers to {kind.label} {item_id!r}") for k, i in users],
            )

    def _label(self, kind_name: str) -> str:
        kind = self._kinds.get(kind_name)
        return kind.label if kind else kind_name

    # --- publishing ---------------------------------------------------------------------

    def publish(
        self,
        actor: str,
        expected: int | None = None,
        note: str | None = None,
        selected: list[tuple[str, str]] | None = None,
    ) -> Publication:
        """Make items live: bump the config version and record the set.

        Without `selected`, every stored item goes live. With it, only those pending
        changes (kind, item id) do; every other item stays at its live version.
        """
        current = self._store.published_version()
        if expected is not None and expected != current:
            raise Conflict(
                f"config version {current} was published meanwhile (you saw {expected}); "
                "review the changes and publish again"
            )
        if selected is None:
            items = {k: self._store.items(k) for k in self._kinds}
        else:
            live = live_versions(self._store, self._kinds)
            pending = {(c.kind, c.item_id) for c in self.pending()}
            unknown = [
                FieldError(f"changes.{n}", f"{kind} {item_id!r} has no pending change")
                for n, (kind, item_id) in enumerate(selected)
                if (kind, item_id) not in pending
            ]
            if unknown or not selected:
                raise Invalid(
                    "nothing published: choose pending changes to publish",
                    unknown or [FieldError("changes", "no change selected")],
                )
            items = selected_set(self._store, self._kinds, live, set(selected))
        self._check_consistent(items)
        versions = {k: {i.item_id: i.version for i in v} for k, v in items.items()}
        try:
            version = self._store.publish(
                expected=current, items=versions, actor=actor, at=self._clock.now(), note=note
            )
        except ConflictError as exc:
            raise Conflict("someone else published at the same moment; try again") from exc
        published = self._store.publication(version)
        assert published is not None
        return published

    def rollback(self, to_version: int, actor: str) -> Publication:
        """Restore the item set that config version `to_version` published, and publish it."""
        target = self._store.publication(to_version)
        if target is None:
            raise NotFound(
                f"config version {to_version} has no recorded publication "
                "(it was published outside the console, or never)"
            )
        plan: list[tuple[ConfigKind, str, StoredItem | None, str | None]] = []
        # The whole target set is checked before anything is written: a rollback either
        # restores a consistent config or changes nothing.
        restored: dict[str, list[StoredItem]] = {}
        for kind in self._kinds.values():
            wanted = target.items.get(kind.name, {})
            current = {i.item_id: i for i in self._store.items(kind.name)}
            restored[kind.name] = []
            for item_id, stale in current.items():
                if item_id not in wanted:
                    plan.append((kind, item_id, stale, None))
            for item_id, version in wanted.items():
                now_item = current.get(item_id)
                if now_item is not None and now_item.version == version:
                    restored[kind.name].append(now_item)
                    continue
                body = self._store.audited_body(kind.name, item_id, version)
                if body is None:
                    raise Conflict(
                        f"{kind.label} {item_id!r} version {version} has no recorded body "
                        "(written outside the console); cannot roll back to it"
                    )
                validate_document(kind, json.loads(body), prefix=f"{kind.name}.{item_id}")
                restored[kind.name].append(
                    StoredItem(kind.name, item_id, body, version, None, None)
                )
                plan.append((kind, item_id, now_item, body))
        self._check_consistent(restored)
        note = f"rollback to config version {to_version}"
        for kind, item_id, item, body in plan:
            if item is None:
                base = self._store.last_audited_version(kind.name, item_id)
                self._apply(kind, item_id, "rollback", None, base + 1, None, body, actor, note)
            elif body is None:
                self._apply(
                    kind, item_id, "delete", item.version, item.version + 1,
                    item.body_text, None, actor, note,
                )  # fmt: skip
            else:
                self._apply(
                    kind, item_id, "rollback", item.version, item.version + 1,
                    item.body_text, body, actor, note,
                )  # fmt: skip
        return self.publish(actor, note=note)

    # --- helpers ------------------------------------------------------------------------

    def _validated(self, kind: ConfigKind, body: Mapping[str, Any]) -> Any:
        model = validate_document(kind, body)
        if kind.references is not None:
            errors = kind.references(model, self._ids)
            if errors:
                raise Invalid(f"this {kind.label} refers to items that do not exist", errors)
        return model

    def _ids(self, kind_name: str) -> set[str]:
        return {i.item_id for i in self._store.items(kind_name)}

    def _existing(self, kind: ConfigKind, item_id: str) -> StoredItem:
        item = self._store.get(kind.name, item_id)
        if item is None:
            raise NotFound(f"no {kind.label} {item_id!r}")
        return item

    def _current(self, kind: ConfigKind, item_id: str, version: int) -> StoredItem:
        item = self._existing(kind, item_id)
        if item.version != version:
            raise _stale(kind, item_id, version, item)
        return item

    def _apply(
        self,
        kind: ConfigKind,
        item_id: str,
        action: Action,
        expected: int | None,
        new_version: int,
        before: str | None,
        after: str | None,
        actor: str,
        note: str | None = None,
    ) -> None:
        change = Change(
            kind=kind.name,
            item_id=item_id,
            action=action,
            expected=expected,
            new_version=new_version,
            before=before,
            after=after,
            actor=actor,
            at=self._clock.now(),
            note=note,
        )
        try:
            self._store.apply(change)
        except ConflictError as exc:
            # The conditional write is the real guard: the check above can race.
            latest = self._store.get(kind.name, item_id)
            if expected is None:
                raise Conflict(f"{kind.label} {item_id!r} was created meanwhile") from exc
            raise _stale(kind, item_id, expected, latest) from exc

    def _check_consistent(self, items: Mapping[str, list[StoredItem]]) -> None:
        def bodies(kind: str) -> list[dict[str, Any]]:
            return [i.body() or {"_unreadable": i.item_id} for i in items.get(kind, [])]

        problems = build_config(
            0,
            bodies(RULE),
            bodies(TEMPLATE),
            segment_items=bodies(SEGMENT),
            game_items={kind: bodies(kind) for kind in GAME_KINDS},
        ).problems
        if problems:
            raise Invalid(
                "nothing published: fix these items first",
                [FieldError(f"{p.kind}.{p.item_id}", p.reason) for p in problems],
            )

    def _view(
        self, kind: ConfigKind, item: StoredItem, live: Mapping[str, int] | None = None
    ) -> ItemView:
        body = item.body()
        problems: list[FieldError] = []
        warnings: list[FieldError] = []
        if body is None:
            problems = [FieldError("(document)", "stored body is not a JSON object")]
        else:
            try:
                model = validate_document(kind, body)
            except Invalid as exc:
                problems = exc.errors
            else:
                warnings = kind.warnings(model) if kind.warnings else []
        enabled = bool(body.get("enabled", True)) if kind.can_enable and body else None
        return ItemView(
            kind=kind.name,
            item_id=item.item_id,
            version=item.version,
            body=body,
            updated_at=item.updated_at,
            updated_by=item.updated_by,
            enabled=enabled,
            problems=problems,
            warnings=warnings,
            status=status_of(item, live) if live is not None else None,
            live_version=live.get(item.item_id) if live is not None else None,
        )


def _id_field(kind: ConfigKind) -> str:
    return f"{kind.name}_id"


def _stale(kind: ConfigKind, item_id: str, version: int, latest: StoredItem | None) -> Conflict:
    if latest is None:
        return Conflict(f"{kind.label} {item_id!r} was deleted meanwhile")
    who = f" by {latest.updated_by}" if latest.updated_by else ""
    return Conflict(
        f"{kind.label} {item_id!r} changed since you opened it (you edited version {version}, "
        f"it is now version {latest.version}{who}); reload, re-apply your edit and save again"
    )


def _history(entry: AuditEntry) -> HistoryEntry:
    before = json.loads(entry.before) if entry.before else None
    after = json.loads(entry.after) if entry.after else None
    return HistoryEntry(
        version=entry.version,
        action=entry.action,
        actor=entry.actor,
        at=entry.at,
        note=entry.note,
        changes=diff(before if before is not None else {}, after if after is not None else {}),
        after=after,
    )
