"""SMS through AWS End User Messaging SMS (pinpoint-sms-voice-v2), or SNS as an alternative.

Both take their boto3 client and map AWS error *codes* (never message text) to what they mean
for dispatch: throttling is retried later, a refusal a retry cannot fix is permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

_THROTTLE = {"ThrottlingException", "TooManyRequestsException", "Throttling", "KMSThrottling"}
# End User Messaging: the destination opted out (STOP), is not verified (sandbox), the number
# or identity is invalid, or the account may not send - retrying cannot change any of these.
_EUM_PERMANENT = {"ValidationException", "ConflictException"}
# Reasons of AccessDeniedException that are about the account, not our IAM policy (an IAM
# denial is a deployment mistake and stays loud).
_EUM_ACCOUNT_REASONS = {"INSUFFICIENT_ACCOUNT_REPUTATION", "ACCOUNT_DISABLED"}
# A monthly spend limit will not lift within the stream's retry window; retrying would only
# hold up the other effects of the shard.
_EUM_SPEND_LIMITS = {
    "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT",
    "DAILY_DESTINATION_CALL_LIMIT",
}
# SNS drops a text to an opted-out number itself (no error); these are a bad number or request.
_SNS_PERMANENT = {"InvalidParameter", "ParameterValueInvalid", "ValidationException"}


class PermanentSmsError(Exception):
    """The SMS was refused for a reason a retry will not fix (opted out, bad number...)."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class EumSmsSender:
    """`SendTextMessage` from one origination identity (phone number, sender id or pool)."""

    def __init__(
        self,
        # No boto3-stubs for pinpoint-sms-voice-v2 in the dev deps: typed as Any.
        client: Any,
        origination_identity: str,
        configuration_set: str | None = None,
    ) -> None:
        self._client = client
        self._origination = origination_identity
        self._configuration_set = configuration_set

    def send(self, to: str, text: str, marketing: bool, context: Mapping[str, str]) -> str:
        """Send one text; returns the message id. `context` flows into delivery events."""
        kwargs: dict[str, Any] = {}
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        try:
            resp = self._client.send_text_message(
                DestinationPhoneNumber=to,
                OriginationIdentity=self._origination,
                MessageBody=text,
                # Carriers and country rules treat promotional traffic differently (quiet
                # hours, registration); never send marketing as transactional.
                MessageType="PROMOTIONAL" if marketing else "TRANSACTIONAL",
                Context=dict(context),
                **kwargs,
            )
        except ClientError as exc:
            code = _code(exc)
            reason = str(exc.response.get("Reason", ""))
            if code in _THROTTLE:
                raise ThrottledError(code) from exc
            if code in _EUM_PERMANENT:
                raise PermanentSmsError(f"{code} {reason}".strip()) from exc
            if code == "AccessDeniedException" and reason in _EUM_ACCOUNT_REASONS:
                raise PermanentSmsError(f"{code} {reason}") from exc
            if code == "ServiceQuotaExceededException" and reason in _EUM_SPEND_LIMITS:
                raise PermanentSmsError(f"{code} {reason}") from exc
            raise
        return str(resp["MessageId"])


class SnsSmsSender:
    """SNS `Publish` to a phone number: simpler set-up, fewer controls than End User Messaging."""

    def __init__(self, client: SNSClient, origination_identity: str | None = None) -> None:
        self._client = client
        self._origination = origination_identity

    def send(self, to: str, text: str, marketing: bool, context: Mapping[str, str]) -> str:
        # SNS has no per-message context; the outbox id stays in the message log instead.
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "AWS.SNS.SMS.SMSType": {
                "DataType": "String",
                "StringValue": "Promotional" if marketing else "Transactional",
            }
        }
        if self._origination:
            # A leading + is an origination number; anything else is an alphanumeric sender id.
            key = (
                "AWS.MM.SMS.OriginationNumber"
                if self._origination.startswith("+")
                else "AWS.SNS.SMS.SenderID"
            )
            attributes[key] = {"DataType": "String", "StringValue": self._origination}
        try:
            resp = self._client.publish(PhoneNumber=to, Message=text, MessageAttributes=attributes)
        except ClientError as exc:
            code = _code(exc)
            if code in _THROTTLE:
                raise ThrottledError(code) from exc
            if code in _SNS_PERMANENT:
                raise PermanentSmsError(code) from exc
            raise
        return str(resp["MessageId"])
