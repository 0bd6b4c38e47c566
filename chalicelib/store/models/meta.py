"""The table settings every model shares: billing on demand, the table name bound at startup."""

from __future__ import annotations


class ModelMeta:
    billing_mode = "PAY_PER_REQUEST"
    table_name: str | None = None
