"""The ticket lane's REST bodies and answers: create, change, one ticket, the unsolved list."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chalicelib.contract.common import MAX_SUBJECT, MAX_WAITING_ON, AgentRef, TicketStatus
from chalicelib.contract.rest.common import Body
from chalicelib.contract.views.work import HistoryItem, TicketView


class TicketCreateRequest(Body):
    subject: Annotated[str, Meta(min_length=1, max_length=MAX_SUBJECT)]
    conversation_id: (
        Annotated[
            str,
            Meta(
                pattern="^[A-Za-z0-9_-]{1,64}$",
                description="Open the ticket from this conversation (its thread stays).",
            ),
        ]
        | None
    ) = None
    owner: Annotated[AgentRef, Meta(description="Default: the calling agent. An agent of the same tenant.")] | None = (
        None
    )


class TicketChangeRequest(Body):
    """Absent or null fields stay as they are."""

    status: TicketStatus | None = None
    waiting_on: (
        Annotated[
            str,
            Meta(
                max_length=MAX_WAITING_ON,
                description="The team or person a `waiting_internal` ticket waits on (needed to enter it).",
            ),
        ]
        | None
    ) = None
    owner: Annotated[AgentRef, Meta(description="An agent of the same tenant.")] | None = None


class TicketEnvelope(Struct, forbid_unknown_fields=True):
    ticket: TicketView


class TicketList(Struct, forbid_unknown_fields=True):
    """Unsolved tickets, most recent first."""

    tickets: list[TicketView]


class TicketDetail(Struct, forbid_unknown_fields=True):
    ticket: TicketView
    history: list[HistoryItem]
