"""Email through Amazon SES v2 with a configuration set (for delivery/bounce events)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from shared.errors import ThrottledError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import BodyTypeDef, MessageTypeDef

_THROTTLE = {"TooManyRequestsException", "LimitExceededException", "ThrottlingException"}
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class PermanentSendError(Exception):
    """SES refused the message for a reason a retry will not fix (e.g. bad address)."""


class SesEmailSender:
    def __init__(self, client: SESV2Client, from_address: str, configuration_set: str) -> None:
        self._client = client
        self._from = from_address
        self._configuration_set = configuration_set

    def send(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        tags: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Send one message (with extra headers, e.g. List-Unsubscribe); returns its id."""
        body: BodyTypeDef = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        simple: MessageTypeDef = {"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body}
        if headers:
            simple["Headers"] = [{"Name": k, "Value": v} for k, v in headers.items()]
        try:
            resp = self._client.send_email(
                FromEmailAddress=self._from,
                Destination={"ToAddresses": [to]},
                ConfigurationSetName=self._configuration_set,
                Content={"Simple": simple},
                # Tags flow into SES events, so opens/bounces can be tied back to rule/template.
                EmailTags=[
                    {"Name": k, "Value": _TAG_UNSAFE.sub("_", v)[:256] or "none"}
                    for k, v in sorted(tags.items())
                ],
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _THROTTLE:
                raise ThrottledError(code) from exc
            if code in ("MessageRejected", "BadRequestException", "AccountSuspendedException"):
                raise PermanentSendError(code) from exc
            raise
        return str(resp["MessageId"])
