"""DynamoDB access to tenants (AP-T1, AP-T2), and creating one (admin and local bootstrap)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.store import keys
from chalicelib.store.models import Tenant
from chalicelib.store.tables import bind_tables


class DynamoTenantStore:
    def __init__(self, consistent_reads: bool = True) -> None:
        # The work lanes read a tenant's settings right after changing them; the widget routes
        # only check its keys and take the cheaper eventually consistent read.
        self._consistent = consistent_reads

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """AP-T1."""
        try:
            return Tenant.get(tenant_id, consistent_read=self._consistent)
        except DoesNotExist:
            return None

    def tenant_ids(self) -> Iterator[str]:
        """AP-T2: every tenant, for the scheduled jobs."""
        for t in Tenant.all_tenants.query("tenants"):
            yield str(t.tenant_id)

    def update_tenant(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        """Sets the given settings (attribute → value; None removes); None if no such tenant."""
        attrs = Tenant.get_attributes()
        actions: list[Any] = [attrs[k].set(v) if v is not None else attrs[k].remove() for k, v in changes.items()]
        item = Tenant(tenant_id)
        try:
            item.update(actions=actions, condition=Tenant.tenant_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item


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
