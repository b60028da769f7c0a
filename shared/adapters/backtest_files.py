"""The lake bucket's backtest files: Athena's gzip JSON shards in, JSON results out (S3)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import NotFoundError, ThrottledError

_THROTTLE = {"SlowDown", "RequestLimitExceeded", "ServiceUnavailable", "InternalError"}


class S3BacktestFiles:
    def __init__(self, bucket: str, client: Any) -> None:
        self._bucket = bucket
        self._s3 = client

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            )
            for page in pages:
                out += [o["Key"] for o in page.get("Contents", [])]
        except ClientError as exc:
            raise self._translate(exc) from exc
        return sorted(out)

    def lines(self, prefix: str) -> Iterator[str]:
        """Every line of every object under `prefix` (gzip objects are unpacked)."""
        for key in self.keys(prefix):
            data = self._get(key)
            if key.endswith(".gz") or data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for line in data.decode("utf-8").splitlines():
                if line.strip():
                    yield line

    def put_json(self, key: str, body: Mapping[str, Any]) -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=json.dumps(body, default=str).encode(),
                ContentType="application/json",
            )
        except ClientError as exc:
            raise self._translate(exc) from exc

    def get_json(self, key: str) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self._get(key))
        return body

    def _get(self, key: str) -> bytes:
        try:
            data: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise self._translate(exc) from exc
        return data

    @staticmethod
    def _translate(exc: ClientError) -> Exception:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "NoSuchBucket", "404"):
            return NotFoundError(code)
        if code in _THROTTLE:
            return ThrottledError(code)
        return exc
