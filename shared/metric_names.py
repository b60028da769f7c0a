"""Every CloudWatch metric the functions emit: the one list the dashboard and alarms read.

Namespace `Engage` (POWERTOOLS_METRICS_NAMESPACE); Powertools adds the `service` dimension
(engage-engine / engage-dispatch). Metrics not listed with a dimension carry only `service`.
"""

from __future__ import annotations

from typing import Final

NAMESPACE: Final = "Engage"
ENGINE_SERVICE: Final = "engage-engine"
DISPATCH_SERVICE: Final = "engage-dispatch"

# --- engine (Count unless noted) -----------------------------------------------------------
EVENTS_APPLIED: Final = "EventsApplied"
"""Events committed to a player (one per event, however many writes it implied)."""
EVENTS_REFUSED: Final = "EventsRefused"
"""Records parked in the engine DLQ (contract, forged source, transaction limit)."""
EVENTS_DUPLICATE: Final = "EventsDuplicate"
"""Events already applied before (redelivery, replay): ignored."""
TIMERS_FIRED: Final = "TimersFired"
"""engage.timer.fired events applied."""
DECISION_LATENCY: Final = "DecisionLatency"
"""Milliseconds: load, decide and commit for one player's events of a batch."""
FIELDS_DROPPED: Final = "FieldsDropped"
"""Bad optional fields dropped from events that were kept (docs/identity.md)."""
CONTACTS_DUPLICATE: Final = "DuplicateContacts"
"""Players found giving an email or phone another player registered first."""
PLAYERS_MERGED: Final = "PlayersMerged"
"""player.merged events applied (one id folded into another)."""

# --- dispatch (Count) ----------------------------------------------------------------------
MESSAGES_SENT: Final = "MessagesSent"
MESSAGES_SUPPRESSED: Final = "MessagesSuppressed"
MESSAGES_FAILED: Final = "MessagesFailed"
TIMERS_ARMED: Final = "TimersArmed"
TIMERS_CANCELLED: Final = "TimersCancelled"

# --- extra dimensions ----------------------------------------------------------------------
CHANNEL: Final = "Channel"
"""On MessagesSent and MessagesFailed: email, sms, push or inbox."""
REASON: Final = "Reason"
"""On MessagesSuppressed: one of SUPPRESSION_REASONS, never free text or ids."""

SUPPRESSED_RG: Final = "ResponsibleGaming"
SUPPRESSED_NO_CONSENT: Final = "ConsentWithdrawn"
SUPPRESSION_REASONS: Final = (SUPPRESSED_RG, SUPPRESSED_NO_CONSENT)

ENGINE_METRICS: Final = (
    EVENTS_APPLIED,
    EVENTS_REFUSED,
    EVENTS_DUPLICATE,
    TIMERS_FIRED,
    DECISION_LATENCY,
    FIELDS_DROPPED,
    CONTACTS_DUPLICATE,
    PLAYERS_MERGED,
)
DISPATCH_METRICS: Final = (
    MESSAGES_SENT,
    MESSAGES_SUPPRESSED,
    MESSAGES_FAILED,
    TIMERS_ARMED,
    TIMERS_CANCELLED,
)
