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

from collections.abc import Sequence
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
    # The draft's (enabled) versions of the changed rules.
    draft_rules: RuleSet
    hit: bool = False
    # What the draft rules' patterns read (their timers' conditions only count once a rule
    # has fired, and a player it fired for is replayed under the draft anyway); whether
    # that is the RFM score (then decisions keep it current: decide's display_facts); the
    # detail-types they listen to.
    fields: DocumentFields = field(init=False)
    reads_rfm: bool = field(init=False)
    _listens: frozenset[str] = field(init=False, repr=False)
    _covered_for: DocumentFields | None = field(default=None, repr=False)
    _covered: bool = field(default=False, repr=False)
    _doc: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        rules = self.draft_rules.all()
        self.fields = DocumentFields.of([r.rule.match for r in rules])
        self.reads_rfm = self.fields.reads_rfm
        self._listens = frozenset(t for r in rules for t in r.rule.on)

    def timer_fired(self, rule_id: str) -> None:
        if rule_id in self.changed:
            self.hit = True

    def see(
        self,
        event: EventDetail,
        state: PlayerState,
        doc: dict[str, Any],
        fields: DocumentFields,
    ) -> None:
        """The match document as the rules will see it (built with `fields`, the published
        config's), before anything else in the decision changes the state: the draft's
        rules are matched on it, or on one built with their own fields if they read a fact
        the published ones never ask for."""
        self._doc = None
        if self.hit or event.detail_type not in self._listens:
            return
        if fields is not self._covered_for:
            self._covered_for, self._covered = fields, _covers(fields, self.fields)
        self._doc = doc if self._covered else match_document(event, state, self.fields)

    def look(self, event: EventDetail, matched: Sequence[CompiledRule]) -> None:
        """After matching: whether a changed rule's published version matched, or its draft
        version matches the document `see` kept."""
        doc, self._doc = self._doc, None
        if self.hit:
            return
        for rule in matched:
            if rule.rule_id in self.changed:
                self.hit = True
                return
        if doc is not None and self.draft_rules.matching(event.detail_type, doc):
            self.hit = True
