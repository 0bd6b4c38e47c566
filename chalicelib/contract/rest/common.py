"""What every REST route shares: strict bodies, `decode_body` and the error answer."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from msgspec import UNSET, Struct, UnsetType

from chalicelib.contract.common import MAX_REST_BODY_BYTES
from chalicelib.platform.errors import BadJson, InvalidAction, PayloadTooLarge, lone_surrogate, not_utf8


class Body(Struct, forbid_unknown_fields=True):
    """A JSON request body (unknown fields are refused)."""


class Error(Struct, forbid_unknown_fields=True):
    """Every domain error of the hub (`chalicelib.handlers.rest.rest_errors`). `retry_after`
    (with `rate_limited`, also sent as the `Retry-After` header): seconds to wait."""

    code: str
    message: str
    retry_after: int | UnsetType = UNSET


B = TypeVar("B", bound=Body)
_top = msgspec.json.Decoder(dict[str, msgspec.Raw])


def decode_body(raw: str | bytes | None, body_type: type[B]) -> B:
    """A request body as its type: none is an empty object; not JSON, or not an object, is
    `bad_json`; anything else wrong (unknown field, wrong type, too long) is `invalid_action`."""
    data = (raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw) or b"{}"
    if len(data) > MAX_REST_BODY_BYTES:
        raise PayloadTooLarge(f"request body is {len(data)} bytes; the limit is {MAX_REST_BODY_BYTES}")
    try:
        return msgspec.json.decode(data, type=body_type)
    except msgspec.ValidationError as exc:
        try:
            _top.decode(data)
        except msgspec.ValidationError:
            raise BadJson("request body must be a JSON object") from None
        except (msgspec.DecodeError, RecursionError):
            raise BadJson("request body is nested too deeply") from None
        raise InvalidAction(str(exc)) from None
    except msgspec.DecodeError as exc:
        surrogate = lone_surrogate(data)
        if surrogate:
            raise InvalidAction(f"request body: {surrogate}") from None
        raise BadJson(f"request body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise InvalidAction(f"request body: {not_utf8(data)}") from None
    except RecursionError:
        raise BadJson("request body is nested too deeply") from None
