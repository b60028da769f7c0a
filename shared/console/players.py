"""Player lookup for the console: profile (contact details masked), ledger, timers, messages.

Read-only. Email and phone are masked here, before anything leaves the function: console
screenshots and browser caches travel further than the table does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared.adapters.player_store import PlayerStore
from shared.clock import Clock
from shared.console.errors import NotFound
from shared.console.player_insight import marketing_facts, rule_verdicts

# A section a later feature adds to the player view (responsible-gaming audit, missions,
# badges...): player id -> (section name, JSON-ready value). Registered by wiring.
PlayerSection = Callable[[str], tuple[str, Any]]

_MASKED_FIELDS = ("email", "phone")


def audit_section(players: PlayerStore) -> PlayerSection:
    """The player's audit trail: suppressions, RG flags and exclusions, newest first."""

    def section(player_id: str) -> tuple[str, Any]:
        entries = sorted(players.audit(player_id), key=lambda e: e.occurred_at, reverse=True)
        return "audit", [
            e.model_dump(mode="json", exclude={"player_id", "retain_until"}) for e in entries
        ]

    return section


def identity_section(players: PlayerStore) -> PlayerSection:
    """Merges and duplicate contacts (docs/identity.md): player ids and channels only."""

    def section(player_id: str) -> tuple[str, Any]:
        state = players.state(player_id)
        duplicates = [
            {"player_id": d.player_id, "first_player_id": d.first_player_id, "channel": d.channel}
            for d in players.duplicates()
            if player_id in (d.player_id, d.first_player_id)
        ]
        return "identity", {
            "merged_into": state.merged_into if state else None,
            "merged_from": state.merged_from if state else [],
            "shared_contacts": state.profile.shared_contacts if state else {},
            "duplicates": duplicates,
        }

    return section


def consent_section(players: PlayerStore) -> PlayerSection:
    """Every consent answer: per channel (covering every product until the product has its
    own answer) and per product x channel, with its event time and source."""

    def section(player_id: str) -> tuple[str, Any]:
        state = players.state(player_id)
        rows: list[dict[str, Any]] = []
        if state is not None:
            profile = state.profile
            for channel in ("email", "sms", "push"):
                set_at = profile.consents_set_at.get(channel)
                rows.append(
                    {
                        "product": "(every product)",
                        "channel": channel,
                        "granted": bool(getattr(profile.consents, channel)),
                        "at": set_at.isoformat() if set_at else None,
                        "source": profile.consent_sources.get(channel),
                    }
                )
            for product, answers in sorted(profile.product_consents.items()):
                for channel, answer in sorted(answers.items()):
                    rows.append(
                        {
                            "product": product,
                            "channel": channel,
                            "granted": answer.granted,
                            "at": answer.at.isoformat(),
                            "source": answer.source,
                        }
                    )
        return "consent", rows

    return section


def marketing_section(players: PlayerStore) -> PlayerSection:
    """Segments, lifecycle stage, RFM, tier, badges and experiment arms."""

    def section(player_id: str) -> tuple[str, Any]:
        state = players.state(player_id)
        return "marketing", marketing_facts(state) if state is not None else {}

    return section


def rules_section(
    players: PlayerStore, live_rules: Callable[[], list[dict[str, Any]]], clock: Clock
) -> PlayerSection:
    """Per live rule: when it fired for the player, what held it back, and why not now."""

    def section(player_id: str) -> tuple[str, Any]:
        state = players.state(player_id)
        if state is None:
            return "rules", []
        return "rules", rule_verdicts(state, live_rules(), players.audit(player_id), clock.now())

    return section


def mask_email(value: str) -> str:
    """'anna@example.org' -> 'a***@***.org': enough to recognise, not to contact."""
    local, _, domain = value.partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@***.{tld}" if tld else f"{local[:1]}***"


def mask_phone(value: str) -> str:
    """'+447700900123' -> '***23'."""
    return f"***{value[-2:]}" if len(value) > 4 else "***"


def _mask(field: str, value: Any) -> Any:
    if not value:
        return value
    return mask_email(str(value)) if field == "email" else mask_phone(str(value))


class PlayerLookup:
    def __init__(self, players: PlayerStore, sections: Sequence[PlayerSection] = ()) -> None:
        self._players = players
        self._sections = list(sections)

    @property
    def store(self) -> PlayerStore:
        return self._players

    def view(self, player_id: str) -> dict[str, Any]:
        state = self._players.state(player_id)
        if state is None:
            raise NotFound(f"no player {player_id!r} (no event of theirs was applied)")
        profile = state.profile.model_dump(mode="json")
        for name in _MASKED_FIELDS:
            profile[name] = _mask(name, profile.get(name))
        # Push tokens are contact data too: the platform and date are enough to recognise one.
        for device in profile.get("devices", []):
            device["token"] = mask_phone(device["token"])
        ledger = self._players.ledger(player_id)
        messages = []
        for item, status, result in sorted(
            self._players.outbox(player_id), key=lambda o: (o[0].created_at, o[0].outbox_id)
        ):
            effect = item.effect.model_dump(mode="json", exclude={"vars"})
            if "to" in effect:
                kind = "phone" if effect.get("channel") == "sms" else "email"
                effect["to"] = _mask(kind, effect["to"])
            if effect.get("devices"):
                effect["devices"] = [mask_phone(str(token)) for token in effect["devices"]]
            messages.append(
                {
                    "created_at": item.created_at.isoformat(),
                    "rule_id": item.rule_id,
                    "event_id": item.event_id,
                    "status": status,
                    "result": result,
                    "effect": effect,
                }
            )
        view: dict[str, Any] = {
            "player_id": player_id,
            "state_version": state.version,
            "points_balance": state.points_balance,
            "profile": profile,
            "ledger": [e.model_dump(mode="json") for e in ledger],
            "timers": [
                {"timer": name, **t.model_dump(mode="json")}
                for name, t in sorted(state.timers.items())
            ],
            "rule_fires": {k: [t.isoformat() for t in v] for k, v in state.rule_fires.items()},
            "messages": messages,
            "sections": {},
        }
        for section in self._sections:
            name, value = section(player_id)
            view["sections"][name] = value
        return view
