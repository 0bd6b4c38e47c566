"""The ticket routes: list, create, detail, change."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.tickets import (
    TicketChangeRequest,
    TicketCreateRequest,
    TicketDetail,
    TicketEnvelope,
    TicketList,
)
from chalicelib.handlers.rest.common import _agent, _body, _owner, actor, rest_errors
from chalicelib.work.views import ticket_view


# ------------------------------------------------------------------ tickets
@rest_errors
def ticket_list(request: Request | None) -> TicketList:
    return TicketList([ticket_view(t) for t in wiring.hub().tickets.open(_agent(request)["tenant"])])


@rest_errors
def ticket_create(request: Request | None) -> TicketEnvelope:
    who, body = actor(_agent(request)), _body(request, TicketCreateRequest)
    owner = _owner(who.tenant, body.owner)
    ticket = wiring.hub().tickets.create(who, body.subject, body.conversation_id, owner)
    return TicketEnvelope(ticket_view(ticket))


@rest_errors
def ticket_detail(request: Request | None, ticket_id: str) -> TicketDetail:
    ticket, history = wiring.hub().tickets.get(actor(_agent(request)), ticket_id)
    return TicketDetail(ticket_view(ticket), history)


@rest_errors
def ticket_change(request: Request | None, ticket_id: str) -> TicketEnvelope:
    who, body = actor(_agent(request)), _body(request, TicketChangeRequest)
    ticket = wiring.hub().tickets.change(who, ticket_id, body.status, body.waiting_on, _owner(who.tenant, body.owner))
    return TicketEnvelope(ticket_view(ticket))
