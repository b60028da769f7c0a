"""Reading every page of a DynamoDB Query (it returns at most 1 MB per call)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def query_pages(query: Callable[..., Any], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Each response of the Query, following LastEvaluatedKey until the last page."""
    while True:
        resp: dict[str, Any] = query(**kwargs)
        yield resp
        if "LastEvaluatedKey" not in resp:
            return
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
