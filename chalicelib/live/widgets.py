"""The customer's way in: a public widget key names the tenant, and opens a widget session
(the token the widget connects with)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform.auth import WidgetTokens
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import Unauthorized, UnknownWidgetKey
from chalicelib.platform.limits import RateLimits
from chalicelib.store import keys
from chalicelib.store.ports import TenantStore


@dataclass(frozen=True)
class WidgetSession:
    token: str
    customer_id: str
    tenant: str
    expires_at: str


class Widgets:
    def __init__(self, store: TenantStore, tokens: WidgetTokens, clock: Clock, limits: RateLimits) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.limits = limits

    def tenant_for_key(self, widget_key: str) -> str:
        tenant_id = keys.widget_key_tenant(widget_key)
        tenant = self.store.get_tenant(tenant_id) if tenant_id else None
        if tenant is None or widget_key not in (tenant.widget_keys or set()):
            raise UnknownWidgetKey("unknown widget key")
        return str(tenant.tenant_id)

    def open_session(
        self, widget_key: str, previous_token: str | None, name: str | None, client: str = "unknown"
    ) -> WidgetSession:
        """A still-valid previous session of the same tenant keeps its customer id (reloads).
        Sessions per tenant and client address are limited (RateLimited)."""
        tenant = self.tenant_for_key(widget_key)
        self.limits.widget_session(tenant, client)
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
