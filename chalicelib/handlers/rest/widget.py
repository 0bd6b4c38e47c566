"""The widget's routes (customers): session, availability, callback request and status, CSAT rating."""

from __future__ import annotations

from typing import Any

import msgspec
from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.callbacks import CallbackEnvelope, CallbackRequest
from chalicelib.contract.rest.widget import (
    Availability,
    CustomerCallbackEnvelope,
    Rating,
    RatingRequest,
    WidgetSession,
    WidgetSessionRequest,
)
from chalicelib.handlers.rest.callbacks import _request_callback
from chalicelib.handlers.rest.common import _bearer, _body, _client_address, rest_errors
from chalicelib.live.customers import CustomerContext, parse_identity
from chalicelib.platform.auth import Actor
from chalicelib.work.views import customer_callback_view


# ------------------------------------------------------------------ the widget (customers)
@rest_errors
def widget_session(request: Request | None) -> WidgetSession:
    assert request is not None
    body = _body(request, WidgetSessionRequest)
    fields = msgspec.structs.asdict(body)
    session = wiring.hub().widgets.open_session(
        body.widget_key,
        body.previous_token,
        context=CustomerContext.parse(fields),
        identity=parse_identity(fields),
        client=_client_address(request),
    )
    return WidgetSession(
        session.token,
        session.customer_id,
        session.tenant,
        session.expires_at,
        verified=session.verified,
        conversation_id=session.conversation_id,
    )


@rest_errors
def widget_availability(request: Request | None) -> Availability:
    """Whether someone can answer, what the widget offers (mode, presence and business hours), the
    region a phone number without a country code is read in when the visitor's locale names none,
    and the hours with the next opening (the widget shows them while the team is closed)."""
    assert request is not None
    params: Any = request.query_params or {}
    h = wiring.hub()
    tenant = h.widgets.tenant_for_key(str(params.get("widget_key", "")))
    offered = h.availability.current(tenant)
    offered.default_region = h.team.get(tenant).phone_region
    offered.hours = h.opening.hours_view(tenant)
    return offered


def _customer(request: Request | None) -> Actor:
    assert request is not None
    who = wiring.hub().widget_tokens.verify(_bearer(request.headers.get("authorization", "")))
    return Actor(who.tenant, "customer", who.user_id, who.name)


@rest_errors
def widget_callback(request: Request | None) -> CallbackEnvelope:
    customer = _customer(request)
    return _request_callback(customer, _body(request, CallbackRequest), source="widget")


@rest_errors
def widget_callback_status(request: Request | None, callback_id: str) -> CustomerCallbackEnvelope:
    """The customer's own callback request as their widget shows it (after a reload)."""
    cb = wiring.hub().callbacks.customer_status(_customer(request), callback_id)
    return CustomerCallbackEnvelope(customer_callback_view(cb))


@rest_errors
def widget_rating(request: Request | None) -> Rating:
    customer = _customer(request)
    body = _body(request, RatingRequest)
    return Rating(
        body.conversation_id, wiring.hub().csat.rate(customer, body.conversation_id, body.rating, body.comment)
    )
