"""Support command's REST bodies and answers: health, the mode and its history, a refused launch."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.contract.common import HubMode, Ref, Timestamp
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.hub import Blocker


class HubModeRequest(Body):
    mode: HubMode


class Health(Struct, forbid_unknown_fields=True):
    status: Literal["ok"]


class ModeChange(Struct, forbid_unknown_fields=True):
    at: Timestamp
    by: Ref
    change: Annotated[str, Meta(description="e.g. `ready → live`")]


class ModeHistory(Struct, forbid_unknown_fields=True):
    history: list[ModeChange]


class LaunchBlockedError(Struct, forbid_unknown_fields=True):
    """Going live was refused: the launch check does not pass."""

    code: Literal["launch_blocked"]
    message: Annotated[str, Meta(description="The launch headline and every blocker's message.")]
    blockers: list[Blocker]
