"""What the player view explains beyond the raw state: who the player is to marketing
(segments, lifecycle, RFM, tier, experiment arms) and, per rule, why it did or did not
fire for them.

Pure. A rule's verdict combines what is recorded (its firings in the state, and the
player's audit entries that name it: suppressed, capped, held out...) with what holds now:
its condition on the player, judged on the engine's own document, with the first failing
field named. Conditions on the event are left out of "now": they depend on the next event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.console.reach import player_condition, player_document
from shared.domain.core.state import AuditEntry, PlayerState
from shared.domain.language.patterns import PatternError, compile_pattern

RECENT = 5


def marketing_facts(state: PlayerState) -> dict[str, Any]:
    """Segments (with since when), lifecycle stage, RFM, tier, badges, experiment arms."""
    engagement = state.engagement
    return {
        "segments": {k: v.isoformat() for k, v in sorted(state.segments.items())},
        "lifecycle": {
            "stage": engagement.stage,
            "since": engagement.stage_since.isoformat() if engagement.stage_since else None,
        },
        "rfm": engagement.rfm.model_dump(mode="json") if engagement.rfm else None,
        "tier": state.tier.tier,
        "badges": sorted(state.badges),
        "experiments": {
            rule_id: {"experiment": a.experiment, "arm": a.arm}
            for rule_id, a in sorted(state.experiments.items())
        },
    }


def rule_verdicts(
    state: PlayerState,
    rules: Iterable[Mapping[str, Any]],
    audit: Sequence[AuditEntry],
    now: datetime,
) -> list[dict[str, Any]]:
    """Per rule: recent firings, recorded reasons it held back, and whether it holds now."""
    doc = player_document(state, now)
    out = []
    for rule in sorted(rules, key=lambda r: str(r.get("rule_id"))):
        rule_id = str(rule.get("rule_id"))
        fired = sorted(state.rule_fires.get(rule_id, []), reverse=True)[:RECENT]
        held = sorted(
            (a for a in audit if a.rule_id == rule_id),
            key=lambda a: a.occurred_at,
            reverse=True,
        )[:RECENT]
        condition, notes = player_condition(rule.get("match") or {})
        try:
            fails = compile_pattern(condition).explain(doc) if condition else None
        except PatternError as exc:
            fails, notes = None, [*notes, f"its condition is not valid: {exc}"]
        if rule.get("enabled", True) is False:
            verdict = "disabled: it fires for nobody"
        elif fails:
            verdict = f"would not fire now: {fails}"
        elif held and not fired:
            verdict = f"held back: {held[0].reason}"
        else:
            verdict = "its condition on the player holds now"
        out.append(
            {
                "rule_id": rule_id,
                "on": list(rule.get("on", [])),
                "fired": [t.isoformat() for t in fired],
                "held_back": [
                    {"at": a.occurred_at.isoformat(), "category": a.category, "reason": a.reason}
                    for a in held
                ],
                "verdict": verdict,
                "notes": notes,
            }
        )
    return out
