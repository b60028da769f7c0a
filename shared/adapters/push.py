"""Mobile push through End User Messaging push (the Pinpoint `SendMessages` API).

Messages go straight to device tokens (`Addresses`). Pinpoint endpoints, segments and
journeys ended on 2026-10-30; the direct-send API is what End User Messaging push kept.
One call may reach several devices and reports a status per token, so the result is per
token and the caller decides what a partial success means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# The push service per platform. Web tokens are FCM registration tokens, sent through the
# FCM (GCM) channel like Android ones.
CHANNEL_TYPES = {"ios": "APNS", "android": "GCM", "web": "GCM"}

_THROTTLE = {"TooManyRequestsException", "ThrottlingException"}
# A malformed request or a payload over the limit is refused the same way on every retry.
_PERMANENT = {"BadRequestException", "PayloadTooLargeException"}
# Per-token statuses that a retry will not change: the token is dead or the user opted out.
_DEAD = {"PERMANENT_FAILURE", "OPT_OUT"}
# Delivered, or already delivered by an earlier attempt with the same message.
_DELIVERED = {"SUCCESSFUL", "DUPLICATE"}


class PermanentPushError(Exception):
    """The push request was refused for a reason a retry will not fix."""


@dataclass(frozen=True)
class PushResult:
    """What happened per token; tokens never leave this object in logs (they are sensitive)."""

    delivered: list[str] = field(default_factory=list)  # message ids, not tokens
    dead_tokens: list[str] = field(default_factory=list)
    retry_tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PushTarget:
    token: str
    platform: str


class PinpointPushSender:
    def __init__(self, client: Any, application_id: str) -> None:
        # No boto3-stubs for pinpoint in the dev deps: the client is typed as Any.
        self._client = client
        self._application_id = application_id

    def send(
        self,
        targets: Sequence[PushTarget],
        title: str,
        body: str,
        data: Mapping[str, str],
        trace_id: str,
    ) -> PushResult:
        """Send one notification to each target; `data` reaches the app (ids only, no PII)."""
        addresses = {
            t.token: {"ChannelType": CHANNEL_TYPES[t.platform]}
            for t in targets
            if t.platform in CHANNEL_TYPES
        }
        if not addresses:
            return PushResult()
        try:
            resp = self._client.send_messages(
                ApplicationId=self._application_id,
                MessageRequest={
                    "Addresses": addresses,
                    "MessageConfiguration": {
                        "DefaultPushNotificationMessage": {
                            "Title": title,
                            "Body": body,
                            "Action": "OPEN_APP",
                            "Data": dict(data),
                        }
                    },
                    "TraceId": trace_id,
                },
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _THROTTLE:
                raise ThrottledError(code) from exc
            if code in _PERMANENT:
                raise PermanentPushError(code) from exc
            raise
        delivered: list[str] = []
        dead: list[str] = []
        retry: list[str] = []
        results = resp.get("MessageResponse", {}).get("Result", {})
        for token in addresses:
            outcome = results.get(token, {})
            status = outcome.get("DeliveryStatus", "UNKNOWN_FAILURE")
            if status in _DELIVERED:
                delivered.append(str(outcome.get("MessageId", "")))
            elif status in _DEAD:
                dead.append(token)
            else:
                # THROTTLED, TEMPORARY_FAILURE, UNKNOWN_FAILURE: may work on another attempt.
                retry.append(token)
        return PushResult(delivered=delivered, dead_tokens=dead, retry_tokens=retry)


def parse_platform_applications(text: str) -> dict[str, str]:
    """ "ios=<arn>,android=<arn>" -> {"ios": arn, "android": arn}; refuses anything else."""
    applications: dict[str, str] = {}
    for pair in (p.strip() for p in text.split(",") if p.strip()):
        platform, sep, arn = pair.partition("=")
        if not sep or platform.strip() not in CHANNEL_TYPES or not arn.strip().startswith("arn:"):
            raise ValueError(
                f"push SNS applications: {pair!r} is not <platform>=<platform application ARN> "
                f"with a platform of {sorted(CHANNEL_TYPES)}"
            )
        applications[platform.strip()] = arn.strip()
    return applications


class SnsPushSender:
    """Alternative: SNS mobile push through platform applications (APNs, FCM) per platform.

    SNS needs an endpoint per token; `CreatePlatformEndpoint` is idempotent for a token it
    already knows, so it is called on each send instead of storing endpoint ARNs.
    """

    def __init__(self, client: SNSClient, platform_applications: Mapping[str, str]) -> None:
        self._client = client
        # platform ("ios", "android", "web") -> platform application ARN
        self._applications = dict(platform_applications)

    def send(
        self,
        targets: Sequence[PushTarget],
        title: str,
        body: str,
        data: Mapping[str, str],
        trace_id: str,
    ) -> PushResult:
        delivered: list[str] = []
        dead: list[str] = []
        retry: list[str] = []
        message = _sns_push_message(title, body, data)
        for target in targets:
            application = self._applications.get(target.platform)
            if application is None:
                continue  # no platform application for it: not a failure of the token
            try:
                endpoint = self._client.create_platform_endpoint(
                    PlatformApplicationArn=application, Token=target.token
                )["EndpointArn"]
                resp = self._client.publish(
                    TargetArn=endpoint, Message=message, MessageStructure="json"
                )
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in _SNS_DEAD:
                    dead.append(target.token)
                elif code in _SNS_RETRY:
                    retry.append(target.token)
                else:
                    raise
                continue
            delivered.append(str(resp["MessageId"]))
        return PushResult(delivered=delivered, dead_tokens=dead, retry_tokens=retry)


# The endpoint was disabled by the push service (app uninstalled) or the token is malformed.
_SNS_DEAD = {"EndpointDisabled", "InvalidParameter", "ParameterValueInvalid"}
_SNS_RETRY = {"Throttling", "KMSThrottling", "InternalError"}


def _sns_push_message(title: str, body: str, data: Mapping[str, str]) -> str:
    """One message per push service, as SNS's MessageStructure=json expects."""
    apns = json.dumps({"aps": {"alert": {"title": title, "body": body}}, **data})
    fcm = json.dumps({"notification": {"title": title, "body": body}, "data": dict(data)})
    return json.dumps(
        {"default": body, "APNS": apns, "APNS_SANDBOX": apns, "GCM": fcm}, ensure_ascii=False
    )
