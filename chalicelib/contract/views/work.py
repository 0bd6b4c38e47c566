"""The work lanes' views: a callback (as agents and as its customer see it), a ticket, their history."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from chalicelib.contract.common import (
    CallbackPriority,
    CallbackSource,
    CallbackStatus,
    CallbackWindow,
    CustomerCallbackStatus,
    Ref,
    Seq,
    TicketStatus,
    Timestamp,
)


class CallbackView(Struct, forbid_unknown_fields=True):
    """A promise to call a customer back."""

    id: str
    status: CallbackStatus
    source: CallbackSource
    phone: Annotated[str, Meta(pattern="^\\+[1-9][0-9]{6,14}$", description="E.164")]
    customer_name: str
    conversation_id: str | None
    reason: str | None
    window: CallbackWindow
    priority: Annotated[CallbackPriority, Meta(description="`high` once overdue")]
    overdue: bool
    not_before: (
        Annotated[Timestamp, Meta(description="Call no earlier: the chosen window's opening, tenant time zone.")] | None
    )
    due_at: Timestamp
    due_in_seconds: Annotated[int, Meta(description="negative once overdue")]
    attempts: Seq
    max_attempts: Annotated[int, Meta(ge=1)]
    claimed_by: Ref | None
    created_at: Timestamp
    updated_at: Timestamp


class CustomerCallbackView(Struct, forbid_unknown_fields=True):
    """A callback as its customer's widget shows it: its state, window and times; never the
    agent, the notes or the number."""

    id: str
    status: CustomerCallbackStatus
    window: CallbackWindow
    not_before: Timestamp | None
    due_at: Timestamp
    attempts: Seq
    conversation_id: str | None


class TicketView(Struct, forbid_unknown_fields=True):
    id: str
    number: Annotated[int, Meta(description="The tenant's running ticket number (what the customer is told).")] | None
    subject: Annotated[str, Meta(description="Written by the agent; never shown to the customer.")]
    status: TicketStatus
    waiting_on: str | None
    owner: Ref
    conversation_id: str | None
    customer: Ref | None
    created_at: Timestamp
    updated_at: Timestamp
    status_at: Timestamp


class HistoryItem(Struct, forbid_unknown_fields=True):
    at: Timestamp
    action: Annotated[
        str,
        Meta(
            description="Callbacks: requested, missed_call, claimed, released, completed, no_answer, cancelled, "
            "overdue. Tickets: created, status, waiting_on, owner."
        ),
    ]
    by: Ref
    detail: str
