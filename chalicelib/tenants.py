"""Tenants and the customer-facing entry points that start from a public widget key."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError

from chalicelib import keys
from chalicelib.auth import WidgetTokens
from chalicelib.clock import Clock, iso
from chalicelib.errors import Unauthorized, UnknownWidgetKey
from chalicelib.models import Tenant, bind_tables
from chalicelib.store import Store


def ensure_tenant(tenant_id: str, name: str, widget_key: str, now: float = 0.0) -> None:
    """Creates the tenant if missing and makes sure it accepts `widget_key` (idempotent)."""
    bind_tables()
    if keys.widget_key_tenant(widget_key) != tenant_id:
        raise ValueError(f"widget key {widget_key!r} must look like wk_{tenant_id}_<random>")
    try:
        Tenant(tenant_id, name=name, widget_keys={widget_key}, created_at=now).save(
            condition=Tenant.tenant_id.does_not_exist()
        )
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        Tenant(tenant_id).update(actions=[Tenant.widget_keys.add({widget_key})])


@dataclass(frozen=True)
class WidgetSession:
    token: str
    customer_id: str
    tenant: str
    expires_at: str


class Widgets:
    def __init__(self, store: Store, tokens: WidgetTokens, clock: Clock) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock

    def tenant_for_key(self, widget_key: str) -> str:
        tenant_id = keys.widget_key_tenant(widget_key)
        tenant = self.store.get_tenant(tenant_id) if tenant_id else None
        if tenant is None or widget_key not in (tenant.widget_keys or set()):
            raise UnknownWidgetKey("unknown widget key")
        return str(tenant.tenant_id)

    def open_session(self, widget_key: str, previous_token: str | None, name: str | None) -> WidgetSession:
        """A still-valid previous session of the same tenant keeps its customer id (reloads)."""
        tenant = self.tenant_for_key(widget_key)
        customer_id = keys.new_customer_id()
        display = (name or "").strip()[:80] or "Visitor"
        if previous_token:
            try:
                before = self.tokens.verify(previous_token)
            except Unauthorized:
                before = None
            if before is not None and before.tenant == tenant:
                customer_id = before.user_id
                display = (name or "").strip()[:80] or before.name
        token, exp = self.tokens.issue(tenant, customer_id, display)
        return WidgetSession(token, customer_id, tenant, iso(exp))
