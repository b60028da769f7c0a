"""DynamoDB error codes that mean "try again later", shared by the table adapters."""

from __future__ import annotations

from botocore.exceptions import ClientError

from shared.errors import ThrottledError

THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate_throttle(exc: ClientError) -> Exception:
    """ThrottledError for a transient code (the caller lets the record be retried)."""
    code = error_code(exc)
    return ThrottledError(code) if code in THROTTLE_CODES else exc
