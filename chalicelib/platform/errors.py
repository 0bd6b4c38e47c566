"""Domain errors. Each carries the protocol error code; handlers map them in one place."""

from __future__ import annotations

import json
import math


def _half_pair(char: str) -> str:
    return f"text must be valid Unicode; \\u{ord(char):04x} is half of a surrogate pair"


def lone_surrogate(data: bytes) -> str | None:
    """Why a JSON document msgspec refused is not Unicode, if that is why: a string escape of
    half a UTF-16 surrogate pair (e.g. `\\ud800`) is valid JSON syntax but no character, so no
    store or client can hold it. Only ever called on a document that already failed to decode."""
    try:
        document = json.loads(data)  # the stdlib accepts lone surrogates; msgspec does not
    except (ValueError, RecursionError):
        return None
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return _half_pair(exc.object[exc.start])
    return None


def not_utf8(data: bytes) -> str:
    """Why a document msgspec could not even read as UTF-8 is not Unicode: half a surrogate pair
    (a text that held one, encoded as it was handed to us), or bytes that are no UTF-8 at all."""
    try:
        text = data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as bad:
        return f"text must be valid Unicode; byte 0x{data[bad.start]:02x} at {bad.start} is not UTF-8"
    half = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
    return "text must be valid Unicode (UTF-8)" if half is None else _half_pair(half)


class HubError(Exception):
    code = "internal"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadJson(HubError):
    code = "bad_json"
    http_status = 400


class UnknownAction(HubError):
    code = "unknown_action"
    http_status = 400


class InvalidAction(HubError):
    code = "invalid_action"
    http_status = 400


class PayloadTooLarge(HubError):
    code = "payload_too_large"
    http_status = 413


class Forbidden(HubError):
    code = "forbidden"
    http_status = 403


class WrongTenant(HubError):
    code = "wrong_tenant"
    http_status = 403


class NotFound(HubError):
    code = "not_found"
    http_status = 404


class NotJoined(HubError):
    code = "not_joined"
    http_status = 409


class ClientIdReused(HubError):
    code = "client_id_reused"
    http_status = 409


class SessionExpired(HubError):
    code = "session_expired"
    http_status = 401


class Unauthorized(HubError):
    code = "unauthorized"
    http_status = 401


class UnknownWidgetKey(HubError):
    code = "unknown_widget_key"
    http_status = 403


class RateLimited(HubError):
    """A limit was reached (chalicelib/platform/limits.py): nothing was done; try again after
    `retry_after` seconds."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class AlreadyTaken(HubError):
    """Someone else changed the item first (a claimed callback, a ticket edited meanwhile)."""

    code = "conflict"
    http_status = 409


class AtCapacity(AlreadyTaken):
    """The agent has no free chat place: routing may not give them another one."""

    code = "at_capacity"


class IdentityRejected(HubError):
    """A widget's identity-verification hash does not match (or the tenant has none set up)."""

    code = "identity_rejected"
    http_status = 401


class NotClosed(HubError):
    """A rating was sent for a conversation that is still open."""

    code = "not_closed"
    http_status = 409


class AlreadyRated(HubError):
    """The conversation was rated already, with another rating."""

    code = "already_rated"
    http_status = 409
