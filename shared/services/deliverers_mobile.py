"""SMS and mobile push deliverers (see deliverers.py for the port they implement).

Phone numbers and device tokens are contact data: they go to the provider and nowhere else.
Results and error messages name ids and counts only, because both end up in logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from shared.adapters.push import PermanentPushError, PushResult, PushTarget
from shared.adapters.sms import PermanentSmsError
from shared.domain.core.state import OutboxItem, PlayerState, SendMessage
from shared.services.deliverers import PermanentDeliveryError, Rendered

SMS_MAX_CHARS = 640
"""Longer texts are cut (with an ellipsis): past ~4 GSM / ~10 Unicode segments an SMS costs
more than it is worth, and carriers may drop very long concatenated messages."""
ELLIPSIS = "…"


class TransientDeliveryError(Exception):
    """Nothing was delivered, but a later attempt may succeed: let the record be retried."""


class SmsPort(Protocol):
    def send(self, to: str, text: str, marketing: bool, context: Mapping[str, str]) -> str: ...


def fit_sms(text: str) -> tuple[str, bool]:
    """The text cut to SMS_MAX_CHARS (ellipsis included), and whether it was cut."""
    text = text.strip()
    if len(text) <= SMS_MAX_CHARS:
        return text, False
    return text[: SMS_MAX_CHARS - len(ELLIPSIS)].rstrip() + ELLIPSIS, True


class SmsDeliverer:
    def __init__(self, sms: SmsPort) -> None:
        self._sms = sms

    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        if not effect.to:
            raise PermanentDeliveryError("no phone number")
        # An SMS has no subject: the template's text is the whole message.
        text, cut = fit_sms(rendered.text)
        if not text:
            raise PermanentDeliveryError("the rendered text is empty")
        try:
            message_id = self._sms.send(
                effect.to,
                text,
                effect.category == "marketing",
                # Delivery events carry this back, so they can be tied to player and message.
                {"player": item.player_id, "outbox": item.outbox_id, "rule": item.rule_id},
            )
        except PermanentSmsError as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        note = f" (text cut to {SMS_MAX_CHARS} characters)" if cut else ""
        return f"sent as {message_id}{note}"


class PushPort(Protocol):
    def send(
        self,
        targets: Sequence[PushTarget],
        title: str,
        body: str,
        data: Mapping[str, str],
        trace_id: str,
    ) -> PushResult: ...


class PlayerStatePort(Protocol):
    def state(self, player_id: str) -> PlayerState | None: ...


class PushDeliverer:
    """Pushes to the devices the decision chose that the player still has registered.

    The effect carries tokens; the platform (APNs or FCM) comes from the profile at send
    time, which also drops a token the app removed after the decision was made.
    """

    def __init__(self, push: PushPort, players: PlayerStatePort) -> None:
        self._push = push
        self._players = players

    def deliver(
        self, item: OutboxItem, effect: SendMessage, rendered: Rendered, now: datetime
    ) -> str:
        if not effect.devices:
            raise PermanentDeliveryError("no device to push to")
        state = self._players.state(item.player_id)
        registered = {d.token: d.platform for d in state.profile.devices} if state else {}
        targets = [
            PushTarget(token, registered[token]) for token in effect.devices if token in registered
        ]
        if not targets:
            raise PermanentDeliveryError("its devices were removed before sending")
        try:
            result = self._push.send(
                targets,
                rendered.subject,
                rendered.text,
                # The app reports an open with these, which closes a cascade step.
                {"outbox": item.outbox_id, "template": effect.template},
                item.outbox_id,
            )
        except PermanentPushError as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        total = len(targets)
        if not result.delivered:
            if result.retry_tokens:
                # Nothing went out, so a retry cannot duplicate anything.
                raise TransientDeliveryError(
                    f"push: {len(result.retry_tokens)} of {total} devices failed temporarily"
                )
            raise PermanentDeliveryError(f"all {total} device tokens were refused")
        # Some device got it: a retry for the others would push twice to this one, so
        # temporary failures on other devices are reported, not retried.
        summary = f"sent to {len(result.delivered)} of {total} devices"
        if result.dead_tokens:
            summary += f"; {len(result.dead_tokens)} token(s) refused for good"
        if result.retry_tokens:
            summary += f"; {len(result.retry_tokens)} not reached (not retried)"
        ids = ", ".join(i for i in result.delivered if i)
        return f"{summary} as {ids}" if ids else summary
