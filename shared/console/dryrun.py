"""Dry-run: what a draft rule would do for a real player and a sample event, writing nothing.

The draft replaces (or joins) its rule in the current config, and the engine's own pure
`decide` runs on a copy of the player's state with the injected clock. The answer says
whether the draft matched or which condition failed, the actions it would take, each
message rendered in every locale its template has, and what was suppressed and why.
Pure: the caller loads the state and config items (read-only) and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.models import ContractError, EventDetail, parse_event
from shared.console.errors import FieldError, Invalid
from shared.console.kinds import RULE_KIND, validate_document
from shared.domain.authoring.rules import Rule, SendAction, walk_actions
from shared.domain.commerce.shop_vars import SHOP_ROOTS, shop_values
from shared.domain.core.config import TEMPLATE_VARIABLES, build_config
from shared.domain.core.state import PlayerState
from shared.domain.players.profile import apply_event
from shared.domain.run.decide import decide, match_document

DRY_RUN_SOURCE = "console.dry-run"
_LOC = re.compile(r"^[\w.()-]+$")
# Trace lines that mean "would have, but did not" (consent, address, template, limit).
_SUPPRESSION_MARKERS = ("suppressed", "limit", "skipped", "no longer holds")


@dataclass(frozen=True)
class RenderedVariant:
    locale: str
    subject: str
    text: str


@dataclass(frozen=True)
class MessagePreview:
    action_path: str
    template: str
    channel: str
    on_timer: bool
    would_send_now: bool
    variants: list[RenderedVariant]
    # For a message on a timer: why the timer's `if` fails for this player right now (it is
    # checked again when the timer fires); None when it holds or there is none.
    timer_condition_fails: str | None = None


@dataclass(frozen=True)
class DryRunResult:
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
    messages: list[MessagePreview]
    suppressions: list[str]
    other_rules: list[str]
    notes: list[str] = field(default_factory=list)
    # The player's arm of the draft's experiment ("holdout" included), None without one.
    variant: str | None = None
    # What the player would have received but is held out from: "<reason>: <would>".
    held_out: list[str] = field(default_factory=list)


def parse_sample_event(envelope: Mapping[str, Any], player_id: str) -> EventDetail:
    """The sample event, made to be about `player_id` (the id in the sample is replaced)."""
    detail = envelope.get("detail")
    if not isinstance(detail, Mapping):
        raise Invalid(
            "the sample event is not valid",
            [FieldError("event.detail", "an EventBridge envelope needs a 'detail' object")],
        )
    full = {
        "source": envelope.get("source", DRY_RUN_SOURCE),
        "detail-type": envelope.get("detail-type"),
        "detail": {"event_id": "dry-run", **detail, "player_id": player_id},
    }
    try:
        return parse_event(full)
    except ContractError as exc:
        raise Invalid("the sample event is not valid", _contract_errors(exc.reason)) from exc


def _contract_errors(reason: str) -> list[FieldError]:
    """'detail: amount: bad; currency: bad' -> event.detail.amount, event.detail.currency."""
    where, _, rest = reason.partition(": ")
    if not rest:
        return [FieldError("event", reason)]
    errors = []
    for part in rest.split("; "):
        loc, _, message = part.partition(": ")
        if message and _LOC.match(loc):
            errors.append(FieldError(f"event.{where}.{loc}", message))
        else:
            errors.append(FieldError(f"event.{where}", part))
    return errors


def dry_run(
    *,
    draft: Mapping[str, Any],
    envelope: Mapping[str, Any],
    player_id: str,
    state: PlayerState | None,
    rule_items: Sequence[Mapping[str, Any]],
    template_items: Sequence[Mapping[str, Any]],
    policy_items: Sequence[Mapping[str, Any]] = (),
    segment_items: Sequence[Mapping[str, Any]] = (),
    game_items: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    config_version: int,
    now: datetime,
) -> DryRunResult:
    """Run the draft as the engine would; nothing here can write anywhere."""
    notes: list[str] = []
    rule: Rule = validate_document(RULE_KIND, draft, prefix="rule")
    if not rule.enabled:
        notes.append("the draft is disabled; evaluated as if enabled")
        rule = rule.model_copy(update={"enabled": True})
    event = parse_sample_event(envelope, player_id)
    draft_body = {**draft, "enabled": True}
    rules = [r for r in rule_items if r.get("rule_id") != rule.rule_id] + [draft_body]
    config = build_config(
        config_version,
        rules,
        template_items,
        policy_items,
        segment_items,
        # Every game item the engine compiles (wheels, badges, missions, boards, tiers, the
        # control group...): a draft that grants spins of the "daily" wheel must find it,
        # and a control-group player must show as held out.
        game_items=game_items,
    )
    own = [p for p in config.problems if p.kind == "rule" and p.item_id == rule.rule_id]
    if own:
        raise Invalid("the draft rule cannot run", [FieldError("rule", p.reason) for p in own])
    known = state is not None
    start = state if state is not None else PlayerState.new(player_id)
    if not known:
        notes.append("unknown player: evaluated against a new, empty profile")

    decision = decide(start, event, config, now)

    after = start.model_copy(deep=True)
    after.profile = apply_event(after.profile, event)
    doc = match_document(event, after)
    listens = event.detail_type in rule.on
    compiled = config.rules.get(rule.rule_id)
    failed = None
    if not listens:
        failed = f"the rule listens to {rule.on}, not {event.detail_type}"
    elif compiled is not None and compiled.matcher is not None:
        failed = compiled.matcher.explain(doc)
    matched = listens and failed is None

    mine = [t for t in decision.trace if t.rule_id == rule.rule_id]
    effects = [
        o.effect.model_dump(mode="json", exclude={"to", "vars"})
        for o in decision.outbox
        if o.rule_id == rule.rule_id
    ]
    points = sum(e.points for e in decision.ledger if e.rule_id == rule.rule_id)
    # By template AND channel: an email sent and a push of the same template suppressed are
    # two different answers.
    sent_now = {(e["template"], e["channel"]) for e in effects if e.get("kind") == "send"}
    values = {name: doc["player"].get(name) for name in sorted(TEMPLATE_VARIABLES)}
    messages = []
    actions_at = dict(walk_actions(rule.then))
    for path, action in walk_actions(rule.then):
        if not isinstance(action, SendAction):
            continue
        timer_fails = None
        if ".then." in path:
            # The innermost timer holding this send, and its `if` against the profile now.
            timer_action = actions_at.get(path.rsplit(".then.", 1)[0])
            timer = getattr(getattr(timer_action, "schedule", None), "timer", None)
            condition = compiled.timers.get(timer) if compiled and timer else None
            if condition is not None and condition[1] is not None:
                timer_fails = condition[1].explain(doc)
        variants = []
        for (tpl_id, channel, locale), tpl in sorted(config.templates.items()):
            if tpl_id == action.send.template and channel == action.send.channel:
                subject, text, _ = tpl.compiled()
                # The shop's typed values (product, cart, recommendations, restock) as the
                # engine would carry them, so a loop previews with the player's lists.
                shown = values | shop_values(
                    tpl.roots & SHOP_ROOTS,
                    event,
                    decision.state.shop,
                    config.shop,
                    now,
                    decision.state.profile.time_zone,
                )
                variants.append(
                    RenderedVariant(
                        locale,
                        subject.render(shown, locale=locale),
                        text.render(shown, locale=locale),
                    )
                )
        messages.append(
            MessagePreview(
                action_path=f"then.{path}",
                template=action.send.template,
                channel=action.send.channel,
                on_timer=".then." in path,
                would_send_now=(action.send.template, action.send.channel) in sent_now,
                variants=variants,
                timer_condition_fails=timer_fails,
            )
        )
    return DryRunResult(
        rule_id=rule.rule_id,
        player_id=player_id,
        player_known=known,
        detail_type=event.detail_type,
        listens=listens,
        matched=matched,
        failed_condition=failed,
        actions=[t.text for t in mine],
        effects=effects,
        points=points,
        messages=messages,
        suppressions=[t.text for t in mine if any(m in t.text for m in _SUPPRESSION_MARKERS)],
        other_rules=sorted({t.rule_id for t in decision.trace if t.rule_id} - {rule.rule_id}),
        notes=notes,
        variant=arm.arm if (arm := decision.state.experiments.get(rule.rule_id)) else None,
        held_out=[
            f"{a.reason}: {a.inputs.get('would', '')}"
            for a in decision.audit
            if a.category == "held_out" and a.rule_id == rule.rule_id
        ],
    )
