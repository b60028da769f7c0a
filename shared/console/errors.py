"""Console errors, each mapped to one HTTP status by the API (never to AWS error text)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with a submitted document: where (dotted field path) and what, for a human."""

    path: str
    message: str


class ConsoleError(Exception):
    """Base of the errors the console API turns into 4xx answers."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class Unauthenticated(ConsoleError):
    status = 401
    code = "unauthenticated"


class Forbidden(ConsoleError):
    status = 403
    code = "forbidden"


class NotFound(ConsoleError):
    status = 404
    code = "not_found"


class Conflict(ConsoleError):
    """Someone changed the item (or published) since the client read it."""

    status = 409
    code = "conflict"


class Invalid(ConsoleError):
    """The document is refused; `errors` names each field and why."""

    status = 422
    code = "invalid"


class InUse(ConsoleError):
    """The item cannot go: enabled items still refer to it (each named in `errors`)."""

    status = 409
    code = "in_use"
