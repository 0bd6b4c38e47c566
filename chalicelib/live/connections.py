"""Connections: who is on each WebSocket (identify, bind at `$connect`), forgetting them, and the
presence their heartbeats prove.

Nothing here sends anything: a change of presence is returned to the caller, which tells the
other agents through the notifier.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.live.presence import PresenceRule
from chalicelib.platform.auth import AgentVerifier, Identity, WidgetTokens
from chalicelib.platform.clock import Clock
from chalicelib.platform.config import Settings
from chalicelib.platform.errors import SessionExpired, Unauthorized
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import AgentPresence, Connection, Subscription
from chalicelib.store.ports import ConnectionGone, ConnectionStore, ConversationState

CONNECTION_CACHE_SIZE = 10_000


class Connections:
    def __init__(
        self,
        store: ConnectionStore,
        clock: Clock,
        settings: Settings,
        agents: AgentVerifier,
        widgets: WidgetTokens,
        rule: PresenceRule,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.rule = rule
        self.agents = agents
        self.widgets = widgets
        self._bound: dict[str, Connection] = {}

    # ------------------------------------------------------------------ $connect
    def identify(self, query: dict[str, str]) -> Identity:
        if query.get("token"):
            return self.agents.verify(query["token"])
        if query.get("session"):
            return self.widgets.verify(query["session"])
        raise Unauthorized("no credential: connect with ?token=<Cognito ID token> or ?session=<widget session>")

    def bind(self, connection_id: str, query: dict[str, str]) -> tuple[Identity, AgentPresence | None]:
        """Verifies the credential and binds it to the connection. Raises Unauthorized.

        Returns the identity, and the agent's presence when this connection made them reachable."""
        who = self.identify(query)
        now = self.clock.now()
        conn = Connection(
            connection_id,
            tenant=who.tenant,
            role=who.role,
            user_id=who.user_id,
            name=who.name,
            connected_at=now,
            auth_expires_at=who.expires_at,
            expires_at=datetime.fromtimestamp(now + self.settings.connection_ttl, UTC),
            tenant_role=keys.tenant_role(who.tenant, who.role),
            tenant_user=keys.tenant_user(who.tenant, who.role, who.user_id),
        )
        self.store.put_connection(conn)
        metrics.add_metric(name="Connections", unit=MetricUnit.Count, value=1)
        if who.role == "agent":
            return who, self.heartbeat(conn, live=False)
        return who, None

    # ------------------------------------------------------------------ later frames
    def bound(self, connection_id: str, now: float) -> Connection | None:
        """The identity bound at $connect. It never changes for a connection's life, so a warm
        container keeps it and saves the read on every later frame; the item's own expiry is
        still checked each time. (A bounded dict: hand-written, it is ten lines.)"""
        conn = self._bound.get(connection_id)
        if conn is None:
            conn = self.store.get_connection(connection_id, now)
            if conn is None or not well_formed(conn):
                return None
            if len(self._bound) >= CONNECTION_CACHE_SIZE:
                self._bound.pop(next(iter(self._bound)))
            self._bound[connection_id] = conn
        elif conn.expires_at is not None and conn.expires_at.timestamp() <= now:
            self._bound.pop(connection_id, None)
            return None
        return conn

    def subscribe(self, conn: Connection, state: ConversationState) -> None:
        """The connection receives the conversation's events from now on (idempotent)."""
        if not any(s.connection_id == conn.connection_id for s in state.subscriptions):
            try:
                self.store.subscribe(conn, conn.tenant, state.conversation_id)
            except ConnectionGone:
                # Its $disconnect overtook this handler: the socket is closed, nothing was written.
                self._bound.pop(conn.connection_id, None)
                raise SessionExpired("this connection has closed; reconnect") from None
            state.subscriptions.append(
                Subscription(connection_id=conn.connection_id, role=conn.role, user_id=conn.user_id)
            )

    def stored(self, connection_id: str) -> Connection | None:
        """The stored connection, even past its TTL (a leaving connection is cleaned up anyway)."""
        return self.store.get_connection(connection_id, now=0)

    # ------------------------------------------------------------------ $disconnect and gone
    def forget(self, conn: Connection) -> AgentPresence | None:
        """Removes the connection and its subscriptions. Returns the agent's presence when this
        was their last connection (they are unreachable now).

        A new tab of the same agent may connect while this one leaves (a reload, a late
        `$disconnect`): the heartbeat is read *before* looking for their other connections and
        dropped only if it is still that one. A tab that connected before the look is found by
        it; one that connected after has beaten since, and the conditional drop keeps its beat.
        The look is a GSI query, which may still list this very connection just after its
        delete: that one is not another tab. Two tabs closing at once may both find no other:
        the first drops the heartbeat and tells the colleagues, the second finds it dropped
        and tells nobody again."""
        self._bound.pop(conn.connection_id, None)
        self.store.delete_connection(conn)
        if conn.role != "agent":
            return None
        before = self.store.get_presence(conn.tenant, conn.user_id)
        if before is None or not before.heartbeat_at:
            return None  # not in the directory, or already unreachable: a racing tab's close told them
        if [c for c in self.store.user_connections(conn.tenant, "agent", conn.user_id) if c != conn.connection_id]:
            return None
        return self.store.drop_heartbeat(conn.tenant, conn.user_id, self.clock.now(), float(before.heartbeat_at))

    def forget_cached(self, connection_id: str) -> None:
        self._bound.pop(connection_id, None)

    def forget_malformed(self, conn: Connection, tenant: str | None) -> None:
        """Removes a connection item that lacks what `$connect` writes (a bare item left by a
        write that recreated a deleted connection), and the subscriptions it recorded."""
        self._bound.pop(conn.connection_id, None)
        if not conn.tenant and tenant:
            conn.tenant = tenant
        self.store.delete_connection(conn)

    # ------------------------------------------------------------------ presence
    def heartbeat(self, conn: Connection, status: str | None = None, live: bool = True) -> AgentPresence | None:
        """Records an agent's heartbeat (and a newly chosen status). Returns the presence when
        others must hear about it: a new status, or an agent who was not reachable before.

        `live`: from a frame, so only while the connection exists (its `$disconnect` may have
        run first: SessionExpired, nothing written); `$connect` itself has just written it."""
        now = self.clock.now()
        try:
            # The usual beat (every minute, from an agent still reachable): one write, and nobody
            # else needs to hear of it. Otherwise the full record below.
            if (
                live
                and status is None
                and self.store.refresh_heartbeat(
                    conn.tenant, conn.user_id, conn.name, now, conn.connection_id, now - self.rule.window
                )
            ):
                return None
            before, after = self.store.touch_presence(
                conn.tenant, conn.user_id, conn.name, now, status, conn.connection_id if live else None
            )
        except ConnectionGone:
            self._bound.pop(conn.connection_id, None)
            raise SessionExpired("this connection has closed; reconnect") from None
        if status is not None or before is None or not self.rule.reachable(before, now):
            return after
        return None

    def reachable(self, presence: AgentPresence) -> bool:
        return self.rule.reachable(presence, self.clock.now())

    def available_agents(self, tenant: str) -> set[str]:
        return self.rule.available_agents(self.store.tenant_presence(tenant), self.clock.now())

    def agents_available(self, tenant: str) -> bool:
        return bool(self.available_agents(tenant))


def well_formed(conn: Connection) -> bool:
    """Whether the item holds everything `$connect` binds (anything else is an orphan)."""
    return all(
        getattr(conn, name) is not None
        for name in ("tenant", "role", "user_id", "connected_at", "auth_expires_at", "expires_at")
    )
