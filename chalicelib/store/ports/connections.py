"""ConnectionStore: connections, their subscriptions and agent presence (AP-C…, AP-P…)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.store.models import AgentPresence, Connection


class ConnectionStore(Protocol):
    """Connections bound at `$connect`, their conversation subscriptions, and agent presence."""

    def put_connection(self, conn: Connection) -> None: ...

    def get_connection(self, connection_id: str, now: float) -> Connection | None:
        """AP-C1. An item past its TTL counts as gone."""
        ...

    def delete_connection(self, conn: Connection) -> None:
        """Removes the connection, then every subscription it held when it was removed."""
        ...

    def delete_subscription(self, tenant: str, conversation_id: str, connection_id: str) -> None:
        """Removes one subscription (an orphan whose connection is gone)."""
        ...

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        """AP-C2: connection ids of one role in a tenant."""
        ...

    def tenant_users_online(self, tenant: str, role: str) -> list[tuple[str, str]]:
        """AP-C2: (connection id, user id) of every live connection of one role in a tenant."""
        ...

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        """AP-C3."""
        ...

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        """Subscribes the connection, only while its item exists; raises ConnectionGone."""
        ...

    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        """AP-P1."""
        ...

    def set_capacity(self, tenant: str, agent_id: str, capacity: int | None) -> AgentPresence | None:
        """An agent's own chat capacity (None: the tenant's default); None if no such agent."""
        ...

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        """AP-P2."""
        ...

    def refresh_heartbeat(
        self, tenant: str, agent_id: str, name: str, now: float, connection_id: str, reachable_after: float
    ) -> bool:
        """A frame's heartbeat from an agent still reachable (heartbeat after `reachable_after`),
        in one write; False (nothing written) when they were not. Raises ConnectionGone as
        `touch_presence` does."""
        ...

    def touch_presence(
        self,
        tenant: str,
        agent_id: str,
        name: str,
        now: float,
        status: str | None = None,
        connection_id: str | None = None,
    ) -> tuple[AgentPresence | None, AgentPresence]:
        """Records a heartbeat (and optionally a new chosen status); returns (before, after).
        `after` is the item as stored after this write, read back: its `version` is one more
        than any earlier write others heard about (it can include a write that raced this one).
        With `connection_id`, only while that connection's item exists: raises ConnectionGone
        (nothing written) when its `$disconnect` ran first."""
        ...

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float, seen: float) -> AgentPresence | None:
        """The agent's last connection closed: keep the chosen status, mark unreachable (left at
        `now`) — only while the heartbeat is still the one `seen` before looking for other
        connections (a new tab's heartbeat since then is kept). None when nothing changed;
        otherwise the item as stored, its `version` moved on."""
        ...
