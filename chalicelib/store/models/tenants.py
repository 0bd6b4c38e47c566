"""Tenants: settings, widget keys and mode (AP-T1), and the registry scheduled jobs walk (AP-T2)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store.models.meta import ModelMeta


class AllTenants(GlobalSecondaryIndex["Tenant"]):
    """AP-T2: every tenant (scheduled jobs walk tenants, then each tenant's open work)."""

    class Meta:
        index_name = "all_tenants"
        projection = KeysOnlyProjection()

    registry = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class Tenant(Model):
    """AP-T1: Get by tenant id (widget key check, settings, mode). AP-T2 through `all_tenants`."""

    class Meta(ModelMeta):
        pass

    tenant_id = UnicodeAttribute(hash_key=True)
    registry = UnicodeAttribute(default="tenants")
    name = UnicodeAttribute()
    widget_keys = UnicodeSetAttribute()
    created_at = NumberAttribute()
    mode = UnicodeAttribute(default="ready")  # "ready" | "live" | "recovery"
    mode_at = NumberAttribute(null=True)
    mode_by = UnicodeAttribute(null=True)
    callback_sla_minutes = NumberAttribute(default=15)
    callback_max_attempts = NumberAttribute(default=3)
    callback_retry_minutes = NumberAttribute(default=10)
    # IANA time zone the callback windows (and later business hours) are read in.
    time_zone = UnicodeAttribute(default="UTC")
    # Open chats routing gives an agent whose own capacity is not set.
    chat_capacity = NumberAttribute(default=3)
    # Set by the admin CLI (tools/admin.py) and the dashboard's team settings (`PATCH /tenant`).
    allowed_origins = UnicodeSetAttribute(null=True)  # sites the widget may be embedded on
    # ISO 3166 region a phone number without +country is read in (the API calls it `default_region`).
    phone_region = UnicodeAttribute(null=True)

    all_tenants = AllTenants()
