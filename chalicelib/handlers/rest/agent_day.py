"""The agent's-day routes: canned replies, business hours, search, the customer panel."""

from __future__ import annotations

from typing import Any

import msgspec
from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.agent_day import (
    CannedReplyChange,
    CannedReplyCreate,
    CannedReplyEnvelope,
    CannedReplyList,
    CustomerPanel,
    Deleted,
    Hours,
    HoursRequest,
    SearchAnswer,
)
from chalicelib.handlers.rest.common import _agent, _body, actor, rest_errors
from chalicelib.hub.opening import hours_view, team_status
from chalicelib.work.canned import canned_view


# ------------------------------------------------------------------ the agent's day
@rest_errors
def canned_list(request: Request | None) -> CannedReplyList:
    return CannedReplyList([canned_view(r) for r in wiring.hub().canned.list(_agent(request)["tenant"])])


@rest_errors
def canned_create(request: Request | None) -> CannedReplyEnvelope:
    body = _body(request, CannedReplyCreate)
    reply = wiring.hub().canned.create(actor(_agent(request)), body.title, body.shortcut, body.text)
    return CannedReplyEnvelope(canned_view(reply))


@rest_errors
def canned_change(request: Request | None, reply_id: str) -> CannedReplyEnvelope:
    body = _body(request, CannedReplyChange)
    changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
    reply = wiring.hub().canned.change(actor(_agent(request)), reply_id, changes)
    return CannedReplyEnvelope(canned_view(reply))


@rest_errors
def canned_delete(request: Request | None, reply_id: str) -> Deleted:
    wiring.hub().canned.delete(actor(_agent(request)), reply_id)
    return Deleted(reply_id)


@rest_errors
def hours_get(request: Request | None) -> Hours:
    h, tenant = wiring.hub(), _agent(request)["tenant"]
    team = h.opening.team(tenant)
    return Hours(team.open, team.next_open_at, h.opening.hours_view(tenant), h.opening.time_zone(tenant))


@rest_errors
def hours_set(request: Request | None) -> Hours:
    h, agent = wiring.hub(), _agent(request)
    calendar = h.opening.set(actor(agent), _body(request, HoursRequest))
    team = team_status(calendar, h.clock.now())  # what was written, not a read that may lag it
    return Hours(team.open, team.next_open_at, hours_view(calendar), calendar.time_zone)


@rest_errors
def hours_clear(request: Request | None) -> Hours:
    h, agent = wiring.hub(), _agent(request)
    h.opening.clear(actor(agent))
    return Hours(True, None, None, h.opening.time_zone(agent["tenant"]))


@rest_errors
def search(request: Request | None) -> SearchAnswer:
    assert request is not None
    params: Any = request.query_params or {}
    region = params.get("region")
    return wiring.hub().search.find(
        _agent(request)["tenant"], str(params.get("q", "")), str(region) if isinstance(region, str) else None
    )


@rest_errors
def customer_panel(request: Request | None, customer_id: str) -> CustomerPanel:
    return wiring.hub().customers.view(_agent(request)["tenant"], customer_id)
