"""Did a decision meet any of a set of rules, in either of their two versions?

The backtest asks this of a draft that changes rules only (shared/backtest/scope.py). Under
the published config it gives `decide` a probe holding the changed rule ids and the draft's
versions of them. A decision *meets* a changed rule when:

- its published version is among the rules that matched (whether or not it then fired:
  its limit, conditions or budget may have said no), or
- its draft version would have matched the same match document, or
- the event is one of its timers firing.

A player whose every decision met no changed rule is decided the same way under the draft,
event by event: the two configs differ only in those rules, a rule acts only through
matching (its timers, limits, experiment arms and budget use all start at a firing), and
the player's state before each event is the same under both (by induction from the empty
state). So the backtest replays under the draft only the players a probe was hit for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.models import EventDetail
from shared.domain.authoring.rules import CompiledRule, RuleSet
from shared.domain.core.state import PlayerState
from shared.domain.language.document_fields import DocumentFields
from shared.domain.run.decision import match_document


def _covers(have: DocumentFields, need: DocumentFields) -> bool:
    """Whether a document built with `have` holds every key `need` reads."""
    for got, wanted in ((have.event, need.event), (have.player, need.player)):
        if got is None:
            continue
        if wanted is None or not wanted <= got:
            return False
    return True


@dataclass
class RuleProbe:
    """Set by `decide` when a decision meets a changed rule; the caller reads and resets
    `hit` after each decision."""

    changed: frozenset[str]
    # The draft's (enabled) versions of the changed rules, and what their patterns read.
    draft_rules: RuleSet
    fields: DocumentFields
    # A draft rule reads the RFM score: decisions keep it current (decide's display_facts).
    reads_rfm: bool
    hit: bool = False
    _covered_for: DocumentFields | None = field(default=None, repr=False)
    _covered: bool = field(default=False, repr=False)
    _listens: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._listens = frozenset(t for r in self.draft_rules.all() for t in r.rule.on)

    def timer_fired(self, rule_id: str) -> None:
        if rule_id in self.changed:
            self.hit = True

    def look(
        self,
        event: EventDetail,
        state: PlayerState,
        doc: Mapping[str, Any],
        matched: Sequence[CompiledRule],
        fields: DocumentFields,
    ) -> None:
        """After matching: `doc` was built with `fields` (the published config's)."""
        if self.hit:
            return
        for rule in matched:
            if rule.rule_id in self.changed:
                self.hit = True
                return
        if event.detail_type not in self._listens:
            return
        if fields is not self._covered_for:
            self._covered_for, self._covered = fields, _covers(fields, self.fields)
        if not self._covered:
            # The draft's rules read a fact the published ones never ask for: build it.
            doc = match_document(event, state, self.fields)
        if self.draft_rules.matching(event.detail_type, doc):
            self.hit = True
