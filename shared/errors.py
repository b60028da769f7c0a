"""Errors adapters raise, named for what they mean to the services (never AWS error text)."""


class ConflictError(Exception):
    """A version-checked or put-if-absent write lost to a concurrent writer: reload and retry."""


class ThrottledError(Exception):
    """AWS asked us to slow down; the caller should let the record be retried later."""


class NotFoundError(Exception):
    """The thing looked up does not exist."""


class TooLargeError(Exception):
    """One event implies more writes than fit in a single DynamoDB transaction."""


class QueryFailedError(Exception):
    """A lake query failed or was cancelled by its engine; the message carries its reason."""
