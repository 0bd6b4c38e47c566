"""The support-command routes: the snapshot, the mode and its history."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import wiring
from chalicelib.contract.rest.hub import HubModeRequest, ModeHistory
from chalicelib.contract.views.hub import HubSnapshot
from chalicelib.handlers.rest.common import _agent, _body, actor, rest_errors


# ------------------------------------------------------------------ support command
@rest_errors
def hub_snapshot(request: Request | None) -> HubSnapshot:
    return wiring.hub().command.snapshot(_agent(request)["tenant"])


@rest_errors
def hub_mode(request: Request | None) -> HubSnapshot:
    return wiring.hub().mode.set(actor(_agent(request)), _body(request, HubModeRequest).mode)


@rest_errors
def hub_mode_history(request: Request | None) -> ModeHistory:
    return ModeHistory(wiring.hub().mode.history(_agent(request)["tenant"]))
