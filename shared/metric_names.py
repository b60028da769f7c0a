"""Names of the custom metrics the functions emit (CloudWatch namespace `Engage`).

The one list both sides read: the functions emit these, the CDK dashboard and alarms chart
and watch them, so a rename cannot silently leave an alarm on a metric nobody emits.
"""

from __future__ import annotations

NAMESPACE = "Engage"
SERVICE_DIMENSION = "service"

# engine (service engage-engine)
EVENTS_APPLIED = "EventsApplied"
EVENTS_REFUSED = "EventsRefused"
EVENTS_DUPLICATE = "EventsDuplicate"
TIMERS_FIRED = "TimersFired"
DECISION_LATENCY = "DecisionLatency"

# dispatch (service engage-dispatch)
MESSAGES_SENT = "MessagesSent"
MESSAGES_SUPPRESSED = "MessagesSuppressed"
MESSAGES_FAILED = "MessagesFailed"
TIMERS_ARMED = "TimersArmed"
TIMERS_CANCELLED = "TimersCancelled"
CHANNEL_DIMENSION = "Channel"
REASON_DIMENSION = "Reason"
