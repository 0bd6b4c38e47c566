"""The tables: which model defines each, binding them to the names in the environment, local
creation and the CloudFormation resources.

Everything here comes from `TABLES`, so the schema is written once (in the models).
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.platform import config
from chalicelib.store.models import AgentPresence, Connection, ConversationMeta, Message, Tenant
from chalicelib.store.work_models import Callback, HistoryEntry, HubCounters, Ticket

TTL_ATTRIBUTE = "expires_at"

# The model whose schema defines each table (ConversationMeta carries the table's GSI).
TABLES: dict[str, type[Model]] = {
    "connections": Connection,
    "conversations": ConversationMeta,
    "messages": Message,
    "presence": AgentPresence,
    "tenants": Tenant,
    "callbacks": Callback,
    "tickets": Ticket,
    "counters": HubCounters,
    "history": HistoryEntry,
}


def bind_tables() -> None:
    """Point every model at the table named in the environment (fails loudly if unset)."""
    for kind, model in TABLES.items():
        name = config.table_name(kind)
        meta: Any = model.Meta
        if meta.table_name != name:
            meta.table_name = name


def _ttl_attribute(model: type[Model]) -> str | None:
    for attr in model.get_attributes().values():
        if attr.attr_name == TTL_ATTRIBUTE:
            return TTL_ATTRIBUTE
    return None


def ensure_tables() -> list[str]:
    """Create every missing table (idempotent); returns the names created."""
    bind_tables()
    created = []
    for model in TABLES.values():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            ttl = _ttl_attribute(model)
            if ttl:
                model._get_connection().connection.update_time_to_live(model.Meta.table_name, ttl)
            created.append(str(model.Meta.table_name))
    return created
