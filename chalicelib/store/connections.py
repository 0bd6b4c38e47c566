"""DynamoDB access for connections, their conversation subscriptions and agent presence: one
method per named access pattern (see models.py).

Nothing here decides who may do what; the live lane does. Every read that touches TTL'd items
drops the expired ones itself, because DynamoDB deletes them up to two days late.
"""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection as DynamoConnection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store import keys
from chalicelib.store.dynamo_errors import TRANSACTION_CANCELED, error_code
from chalicelib.store.models import AgentPresence, Connection, Subscription
from chalicelib.store.ports import ConnectionGone


class DynamoConnectionStore:
    def __init__(self, region: str | None = None) -> None:
        self._ddb = DynamoConnection(region=region)  # its botocore client is made on first use

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
        """Removes the connection, then every subscription it held.

        The delete returns the item as it was (`ALL_OLD`), so the subscriptions removed are
        the ones recorded at that instant, not the ones `conn` was read with; and since
        `subscribe` requires the connection to exist, none can be added after it."""
        old: dict[str, Any] = Connection._get_connection().delete_item(conn.connection_id, return_values="ALL_OLD")
        attributes = old.get("Attributes")
        gone = Connection.from_raw_data(attributes) if attributes else conn
        tenant = gone.tenant or conn.tenant
        for conversation_id in sorted(gone.conversations or ()):
            self.delete_subscription(tenant, conversation_id, conn.connection_id)

    def delete_subscription(self, tenant: str, conversation_id: str, connection_id: str) -> None:
        """Removes one subscription (an orphan whose connection is gone, or at disconnect)."""
        Subscription(keys.conversation_pk(tenant, conversation_id), keys.subscription_sk(connection_id)).delete()

    def tenant_connections(self, tenant: str, role: str) -> list[str]:
        """AP-C2: connection ids of one role in a tenant."""
        return [c.connection_id for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, role))]

    def tenant_users_online(self, tenant: str, role: str) -> list[tuple[str, str]]:
        """AP-C2: (connection id, user id) of every live connection of one role in a tenant."""
        return [(c.connection_id, c.user_id) for c in Connection.by_tenant_role.query(keys.tenant_role(tenant, role))]

    def user_connections(self, tenant: str, role: str, user_id: str) -> list[str]:
        """AP-C3."""
        return [c.connection_id for c in Connection.by_user.query(keys.tenant_user(tenant, role, user_id))]

    def subscribe(self, conn: Connection, tenant: str, conversation_id: str) -> None:
        """The connection receives the conversation's events; it remembers the subscription so
        that forgetting the connection removes it.

        One transaction, conditioned on the connection item still existing: a `$disconnect`
        that overtook this handler has deleted it, and an unconditional `ADD` would recreate a
        bare item (no tenant, no TTL) that outlives the socket. Raises ConnectionGone then."""
        subscription = Subscription(
            keys.conversation_pk(tenant, conversation_id),
            keys.subscription_sk(conn.connection_id),
            connection_id=conn.connection_id,
            role=conn.role,
            user_id=conn.user_id,
            expires_at=conn.expires_at,
        )
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.update(
                    Connection(conn.connection_id),
                    actions=[Connection.conversations.add({conversation_id})],
                    condition=Connection.connection_id.exists(),
                )
                tw.save(subscription)
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if error_code(exc) == TRANSACTION_CANCELED and "ConditionalCheckFailed" in reasons:
                raise ConnectionGone(conn.connection_id) from exc
            raise
        conn.conversations = {*(conn.conversations or ()), conversation_id}

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
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return item

    def refresh_heartbeat(
        self, tenant: str, agent_id: str, name: str, now: float, connection_id: str, reachable_after: float
    ) -> bool:
        """A frame's heartbeat from an agent who is still reachable (their last heartbeat is
        after `reachable_after`): one transaction, no read first. Nothing anyone else sees
        changes, so nothing is returned but whether it applied; False when the agent was not
        reachable (or not known), with nothing written: `touch_presence` then records it. Raises
        ConnectionGone when the connection's `$disconnect` ran first (as `touch_presence`)."""
        item = AgentPresence(tenant, agent_id)
        actions: list[Any] = [
            AgentPresence.name.set(name),
            AgentPresence.heartbeat_at.set(now),
            AgentPresence.drift_status.remove(),
        ]
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.condition_check(Connection, connection_id, condition=Connection.connection_id.exists())
                tw.update(item, actions=actions, condition=AgentPresence.heartbeat_at > reachable_after)
        except TransactWriteError as exc:
            if error_code(exc) != TRANSACTION_CANCELED:
                raise
            # Condition checks come first in the transaction: [connection, presence].
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise ConnectionGone(connection_id) from exc
            if "ConditionalCheckFailed" in reasons:
                return False
            raise
        return True

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

        An update, not a put: the agent's capacity and open-chat count live on the same item.
        With `connection_id` (a frame's `heartbeat` or `presence`), one transaction conditioned
        on the connection item still existing: a `$disconnect` that overtook the handler has
        marked the agent unreachable, and a late heartbeat must not make a gone agent
        reachable (routing would give them chats, the widgets would offer chat). Raises
        ConnectionGone then, nothing written."""
        before = self.get_presence(tenant, agent_id)
        # A directory entry that never had a heartbeat (created by the admin CLI) starts available,
        # like an agent seen for the first time.
        first = before is None or (not before.heartbeat_at and not before.left_at)
        item = AgentPresence(tenant, agent_id)
        actions: list[Any] = [
            AgentPresence.name.set(name),
            AgentPresence.heartbeat_at.set(now),
            AgentPresence.drift_status.remove(),
            AgentPresence.version.add(1),
        ]
        # Only a chosen status (or an agent's first beat) writes the status: a heartbeat that wrote
        # back the one it read could undo a change stored by another tab in between.
        if status or first:
            actions += [AgentPresence.status.set(status or "available"), AgentPresence.status_at.set(now)]
        if connection_id is None:
            item.update(actions=actions)  # answers with the item as stored (ALL_NEW)
            return before, item
        try:
            with TransactWrite(connection=self._ddb) as tw:
                tw.condition_check(Connection, connection_id, condition=Connection.connection_id.exists())
                tw.update(item, actions=actions)
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if error_code(exc) == TRANSACTION_CANCELED and "ConditionalCheckFailed" in reasons:
                raise ConnectionGone(connection_id) from exc
            raise
        # A transaction returns no values: read the item back (strongly consistent), so the
        # event tells what is stored at this version, even when another write raced this one.
        try:
            return before, AgentPresence.get(tenant, agent_id, consistent_read=True)
        except DoesNotExist:  # the agent was removed from the directory in between
            item.name, item.heartbeat_at, item.status = name, now, status or "offline"
            return before, item

    def drop_heartbeat(self, tenant: str, agent_id: str, now: float, seen: float) -> AgentPresence | None:
        """The agent's last connection closed: keep the chosen status, mark unreachable, and
        remember when (their silence counts from here). Conditional on the heartbeat still being
        `seen` (read before the caller looked for other connections): a tab that connected
        meanwhile has beaten since, and its heartbeat is kept. None when nothing changed."""
        presence = AgentPresence(tenant, agent_id)
        try:
            presence.update(
                actions=[
                    AgentPresence.heartbeat_at.set(0),
                    AgentPresence.left_at.set(now),
                    AgentPresence.version.add(1),
                ],
                condition=AgentPresence.agent_id.exists() & (AgentPresence.heartbeat_at == seen),
            )
        except UpdateError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return presence


def ensure_agent(
    tenant: str, agent_id: str, name: str, now: float = 0.0, model: type[AgentPresence] = AgentPresence
) -> None:
    """Puts an agent in the tenant's directory (idempotent): the admin CLI calls this when it
    creates an agent (with `model` bound to the stage's presence table), so owner pickers list
    them before they ever sign in. Presence and load already recorded are kept."""
    model(tenant, agent_id).update(
        actions=[
            model.name.set(name),
            model.status.set(model.status | "offline"),
            model.status_at.set(model.status_at | now),
            model.heartbeat_at.set(model.heartbeat_at | 0),
            model.open_chats.set(model.open_chats | 0),
        ]
    )
