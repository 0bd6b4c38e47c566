"""DynamoDB access for connections, their conversation subscriptions and agent presence: one
method per named access pattern (see models.py).

Nothing here decides who may do what; the live lane does. Every read that touches TTL'd items
drops the expired ones itself, because DynamoDB deletes them up to two days late.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.store import keys
from chalicelib.store.models import AgentPresence, Connection, Subscription


class DynamoConnectionStore:
    # ------------------------------------------------------------------ connections
    def put_connection(self, conn: Connection) -> None:
        conn.save()

    def get_connection(self, connection_id: str, now: float) -> Connection | None:
        """AP-C1. An item past its TTL counts as gone."""
        try:
            conn = Connection.get(connection_id)
        except DoesNotExist:
            return None
        if conn.expires_at is not None and conn.expires_at.timestamp() <= now:
            return None
        return conn

    def delete_connection(self, conn: Connection) -> None:
        """Removes the connection and its conversation subscriptions."""
        for conversation_id in sorted(conn.conversations or ()):
            Subscription(
                keys.conversation_pk(conn.tenant, conversation_id), keys.subscription_sk(conn.connection_id)
            ).delete()
        conn.delete()

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        """AP-C2: connection ids of one role in a tenant."""
        return [c.connection_id for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, role))]

    def tenant_agents_online(self, tenant: str) -> list[tuple[str, str]]:
        """AP-C2: (connection id, agent id) of every live agent connection in a tenant."""
        return [
            (c.connection_id, c.user_id) for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, "agent"))
        ]

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        """AP-C3."""
        return [c.connection_id for c in Connection.by_user.query(keys.tenant_user(tenant, role, user_id))]

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        """The connection receives the conversation's events; it remembers the subscription so
        that forgetting the connection removes it."""
        Subscription(
            keys.conversation_pk(tenant, conversation_id),
            keys.subscription_sk(conn.connection_id),
            connection_id=conn.connection_id,
            role=conn.role,
            user_id=conn.user_id,
            expires_at=conn.expires_at,
        ).save()
        conn.update(actions=[Connection.conversations.add({conversation_id})])

    # ------------------------------------------------------------------ presence
    def get_presence(self, tenant: str, agent_id: str) -> AgentPresence | None:
        """AP-P1."""
        try:
            return AgentPresence.get(tenant, agent_id)
        except DoesNotExist:
            return None

    def tenant_presence(self, tenant: str) -> list[AgentPresence]:
        """AP-P2."""
        return list(AgentPresence.query(tenant))

    def set_capacity(self, tenant: str, agent_id: str, capacity: int | None) -> AgentPresence | None:
        """An agent's own chat capacity (None: the tenant's default); None if no such agent."""
        item = AgentPresence(tenant, agent_id)
        action = AgentPresence.capacity.set(capacity) if capacity is not None else AgentPresence.capacity.remove()
        try:
            item.update(actions=[action], condition=AgentPresence.agent_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item

    def touch_presence(
        self, tenant: str, agent_id: str, name: str, now: float, status: str | None = None
    ) -> tuple[AgentPresence | None, AgentPresence]:
        """Records a heartbeat (and optionally a new chosen status); returns (before, after).

        An update, not a put: the agent's capacity and open-chat count live on the same item."""
        before = self.get_presence(tenant, agent_id)
        # A directory entry that never had a heartbeat (created by the admin CLI) starts available,
        # like an agent seen for the first time.
        first = before is None or (not before.heartbeat_at and not before.left_at)
        chosen = status or ("available" if first or before is None else str(before.status))
        item = AgentPresence(tenant, agent_id)
        actions: list[Any] = [
            AgentPresence.name.set(name),
            AgentPresence.heartbeat_at.set(now),
            AgentPresence.status.set(chosen),
            AgentPresence.drift_status.remove(),
        ]
        if status or before is None or first:
            actions.append(AgentPresence.status_at.set(now))
        item.update(actions=actions)
        return before, item

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float) -> AgentPresence | None:
        """The agent's last connection closed: keep the chosen status, mark unreachable, and
        remember when (their silence counts from here)."""
        presence = self.get_presence(tenant, agent_id)
        if presence is None:
            return None
        presence.update(actions=[AgentPresence.heartbeat_at.set(0), AgentPresence.left_at.set(now)])
        return presence


def ensure_agent(tenant: str, agent_id: str, name: str, now: float = 0.0) -> None:
    """Puts an agent in the tenant's directory (idempotent): the admin CLI calls this when it
    creates an agent, so owner pickers list them before they ever sign in. Presence and load
    already recorded are kept."""
    AgentPresence(tenant, agent_id).update(
        actions=[
            AgentPresence.name.set(name),
            AgentPresence.status.set(AgentPresence.status | "offline"),
            AgentPresence.status_at.set(AgentPresence.status_at | now),
            AgentPresence.heartbeat_at.set(AgentPresence.heartbeat_at | 0),
            AgentPresence.open_chats.set(AgentPresence.open_chats | 0),
        ]
    )
