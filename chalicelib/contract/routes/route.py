"""What one route's documentation holds (`Route`), and the wording and error codes many share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from msgspec import Struct

Auth = Literal["agent", "widget", "public"]


@dataclass(frozen=True)
class Route:
    summary: str
    tag: str
    response: type[Struct]  # the 200 body
    auth: Auth = "agent"
    description: str = ""
    request: type[Struct] | None = None  # the JSON body
    request_required: bool = True
    query: tuple[dict[str, Any], ...] = ()
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # HTTP status → the domain error codes this route answers with it.
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)


AGENT_ONLY = "Agents only: the tenant is the one in the caller's ID token."
# Every agent route counts against the agent's request limit (writes also against their write
# limit), and the widget's session route against its tenant-and-address limit: 429 `rate_limited`.
LIMITED = ("rate_limited",)
TOO_LARGE = ("payload_too_large",)
