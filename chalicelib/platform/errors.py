"""Domain errors. Each carries the protocol error code; handlers map them in one place."""

from __future__ import annotations


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


class AlreadyTaken(HubError):
    """Someone else changed the item first (a claimed callback, a ticket edited meanwhile)."""

    code = "conflict"
    http_status = 409


class AtCapacity(AlreadyTaken):
    """The agent has no free chat place: routing may not give them another one."""

    code = "at_capacity"
