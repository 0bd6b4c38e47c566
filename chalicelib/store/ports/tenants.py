"""TenantStore: a tenant's settings and the list of tenants (AP-T…)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from chalicelib.store.models import Tenant


# ------------------------------------------------------------------ ports
class TenantStore(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """AP-T1."""
        ...

    def tenant_ids(self) -> Iterator[str]:
        """AP-T2: every tenant, for the scheduled jobs."""
        ...

    def update_tenant(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        """Sets the given settings (attribute → value; None removes); None if no such tenant."""
        ...
