"""What DynamoDB answered, read safely from a PynamoDB exception.

PynamoDB's `cause_response_code` reads `cause.response["Error"]["Code"]`, but a botocore
`HTTPClientError` (a dropped connection, a read timeout) carries `response = None`, so the
property itself raises `AttributeError` and the real cause is lost from the logs. These helpers
walk the exception chain for a botocore `ClientError` and never raise.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
TRANSACTION_CONFLICT = "TransactionConflictException"


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and not any(exc is s for s in seen) and len(seen) < 10:
        seen.append(exc)
        cause = getattr(exc, "cause", None)
        exc = cause if isinstance(cause, BaseException) else (exc.__cause__ or exc.__context__)
    return seen


def error_code(exc: BaseException) -> str | None:
    """The DynamoDB error code (e.g. `ConditionalCheckFailedException`) behind `exc`, if any."""
    for link in _chain(exc):
        if isinstance(link, ClientError):
            response = link.response if isinstance(link.response, dict) else {}
            error = response.get("Error")
            code = error.get("Code") if isinstance(error, dict) else None
            return str(code) if code else None
    return None


def describe(exc: BaseException) -> str:
    """One line naming every exception in the chain (for logs): the real cause stays visible."""
    return " <- ".join(f"{type(link).__name__}: {link}" for link in _chain(exc))
