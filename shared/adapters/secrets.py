"""The unsubscribe signing key, from Secrets Manager (read once per cold start)."""

from __future__ import annotations

from typing import Any


def read_key(client: Any, secret_arn: str) -> bytes:
    """The secret's string as key bytes (CDK generates it at deploy; it is never logged)."""
    value = client.get_secret_value(SecretId=secret_arn).get("SecretString")
    if not isinstance(value, str) or not value:
        raise ValueError("the unsubscribe secret has no string value")
    return value.encode("utf-8")
