"""Identifiers and timestamps in the shapes API Gateway uses."""

from __future__ import annotations

import base64
import os
import secrets
import time
from datetime import UTC, datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def aws_id() -> str:
    """A connection/request/message id like API Gateway's: 16 url-safe base64 characters
    ending in `=` (11 random bytes), e.g. `BFaT_fALIAMCKug=`."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


def api_id() -> str:
    """A 10-character lowercase API id, like `fjnq7njcv2`."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def now_ms() -> int:
    return int(time.time() * 1000)


def request_time(epoch_ms: int) -> str:
    """`requestTime` as API Gateway writes it: `11/Nov/2024:13:45:46 +0000` (locale-independent)."""
    t = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"


def iso_ms(epoch_ms: int) -> str:
    """ISO 8601 with milliseconds and `Z`, as the management API returns timestamps."""
    t = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def iso_seconds(epoch: float) -> str:
    """ISO 8601 without fraction, as EventBridge writes `time`: `2019-10-08T16:53:06Z`."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trace_id(epoch_ms: int) -> str:
    """An X-Ray style trace header value: `Root=1-<8 hex seconds>-<24 hex>`."""
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"
