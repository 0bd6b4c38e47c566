"""The callback routes: a missed call logged, the queue, one callback, its steps."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.callbacks import (
    CallbackDetail,
    CallbackEnvelope,
    CallbackList,
    CallbackRequest,
    CallbackStepRequest,
)
from chalicelib.handlers.rest.common import _agent, _body, actor, rest_errors
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import InvalidAction
from chalicelib.work.views import callback_view


# ------------------------------------------------------------------ callbacks
def _request_callback(who: Actor, body: CallbackRequest, source: str) -> CallbackEnvelope:
    h = wiring.hub()
    cb = h.callbacks.request(
        who,
        phone=body.phone,
        region=body.region,
        window=body.window or "asap",
        reason=body.reason,
        conversation_id=body.conversation_id,
        customer_name=body.customer_name,
        source=source,
    )
    return CallbackEnvelope(callback_view(cb, h.clock.now()))


@rest_errors
def log_missed_call(request: Request | None) -> CallbackEnvelope:
    return _request_callback(actor(_agent(request)), _body(request, CallbackRequest), source="missed_call")


@rest_errors
def callback_queue(request: Request | None) -> CallbackList:
    agent, h = _agent(request), wiring.hub()
    now = h.clock.now()
    return CallbackList([callback_view(cb, now) for cb in h.callbacks.queue(agent["tenant"])])


@rest_errors
def callback_detail(request: Request | None, callback_id: str) -> CallbackDetail:
    h = wiring.hub()
    cb, history = h.callbacks.get(actor(_agent(request)), callback_id)
    return CallbackDetail(callback_view(cb, h.clock.now()), history)


@rest_errors
def callback_step(request: Request | None, callback_id: str, step: str) -> CallbackEnvelope:
    h = wiring.hub()
    who, service, note = actor(_agent(request)), h.callbacks, _body(request, CallbackStepRequest).note
    steps = {
        "claim": lambda: service.claim(who, callback_id),
        "release": lambda: service.release(who, callback_id),
        "complete": lambda: service.complete(who, callback_id, note),
        "no-answer": lambda: service.no_answer(who, callback_id, note),
        "cancel": lambda: service.cancel(who, callback_id, note),
    }
    if step not in steps:
        raise InvalidAction(f"unknown step {step!r}; expected one of {', '.join(steps)}")
    return CallbackEnvelope(callback_view(steps[step](), h.clock.now()))
