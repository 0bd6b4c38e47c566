"""Who receives each event, and getting it there: the fan-out, and the connections that turn out
to be gone.

Recipients are one small pure function per event (in the manner of Chatwoot's
`action_cable_listener.rb`), tested with exact recipient sets. A 410 from API Gateway removes
that *target* connection (never the sender); a failure of any other kind is counted and
published as `DeliveryFailed`.
"""

from __future__ import annotations

from chalicelib.contract.events import ConversationEvent, Event, TypingEvent
from chalicelib.live import payloads
from chalicelib.live.connections import Connections
from chalicelib.live.events import DeliveryFailed, Listeners, PresenceChanged
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.platform.sender import Sender
from chalicelib.store.models import AgentPresence, Connection, Message, Subscription
from chalicelib.store.ports import ConversationState

# API Gateway answers 410 for a connection whose $connect has not finished yet. A 410 for a
# connection younger than this is not proof that it left (the $connect Lambda times out at 10 s).
CONNECT_GRACE_SECONDS = 30


# ------------------------------------------------------------------ recipients, one function per event
def message_recipients(subs: list[Subscription], sender_connection: str, kind: str) -> dict[str, str]:
    """connection id → viewer role. Everyone subscribed but the sending connection;
    notes reach agents only."""
    return {
        s.connection_id: s.role
        for s in subs
        if s.connection_id != sender_connection and (kind != "note" or s.role == "agent")
    }


def typing_recipients(subs: list[Subscription], sender_user: str, note: bool) -> list[str]:
    """The other side only: never any connection of the typist; note typing reaches agents only."""
    return [s.connection_id for s in subs if s.user_id != sender_user and (not note or s.role == "agent")]


def receipt_recipients(subs: list[Subscription], sender_connection: str) -> list[str]:
    """Delivered/read: every other connection (the reader's other tabs clear their unread too)."""
    return [s.connection_id for s in subs if s.connection_id != sender_connection]


def conversation_recipients(subs: list[Subscription], changed_by: str, lobby: list[str]) -> tuple[list[str], list[str]]:
    """A conversation changed: (agent connections, customer connections) to tell. Its other
    subscribers, plus the tenant's agent connections in `lobby` (new or waiting chats)."""
    others = {s.connection_id: s.role for s in subs if s.connection_id != changed_by}
    agents = [c for c, role in others.items() if role == "agent"] + [c for c in lobby if c != changed_by]
    customers = [c for c, role in others.items() if role == "customer"]
    return agents, customers


def presence_recipients(agent_connections: list[str], exclude: str | None) -> list[str]:
    """Presence goes to every agent connection of the tenant (but the one that just connected)."""
    return [c for c in agent_connections if c != exclude]


def availability_recipients(customer_connections: list[str]) -> list[str]:
    """Whether someone can answer goes to every customer connection of the tenant — and only
    when it flips (`hub/availability.py` decides that), never on every presence change."""
    return list(customer_connections)


# ------------------------------------------------------------------ delivery
class Notifier:
    def __init__(self, sender: Sender, connections: Connections, clock: Clock, listeners: Listeners) -> None:
        self.sender = sender
        self.connections = connections
        self.clock = clock
        self.listeners = listeners

    def reply(self, connection_id: str, event: Event) -> None:
        """The answer to the connection that asked; never raises."""
        try:
            if not self.sender.post(connection_id, event):
                self.drop_gone([connection_id])
        except Exception:
            logger.exception("reply failed", extra={"connection_id": connection_id})

    def fanout(self, tenant: str, targets: list[str], event: Event) -> None:
        gone, failed = self.sender.post_many(targets, event)
        self.drop_gone(gone)
        if failed:
            metrics.add_metric(name="FailedDeliveries", unit=MetricUnit.Count, value=len(failed))
            self.listeners.publish(DeliveryFailed(tenant, len(failed)))

    def drop_gone(self, gone: list[str]) -> None:
        """A 410 means that *target* left without a $disconnect reaching us: remove it, only it."""
        now = self.clock.now()
        for connection_id in gone:
            conn = self.connections.stored(connection_id)
            if conn is None or now - float(conn.connected_at) < CONNECT_GRACE_SECONDS:
                continue
            self.forget(conn)
            metrics.add_metric(name="GoneConnections", unit=MetricUnit.Count, value=1)

    def forget(self, conn: Connection) -> None:
        """Forgets a connection; when it was an agent's last, the other agents hear they left."""
        presence = self.connections.forget(conn)
        if presence is not None:
            self.presence(conn.tenant, presence)

    # ------------------------------------------------------------------ events
    def message(self, state: ConversationState, msg: Message, sender_connection: str) -> None:
        """One `message` event per viewer role (their `prev_seq` differs) to every recipient."""
        by_role: dict[str, list[str]] = {}
        for cid, role in message_recipients(state.subscriptions, sender_connection, msg.kind).items():
            by_role.setdefault(role, []).append(cid)
        for role, targets in by_role.items():
            self.fanout(state.tenant, targets, payloads.message_event(msg, role))

    def conversation(self, conn: Connection, state: ConversationState, to_lobby: bool) -> None:
        """A conversation changed: tell its subscribers, and the tenant's agents when asked."""
        lobby = self.connections.store.tenant_connections(conn.tenant, "agent") if to_lobby else []
        agents, customers = conversation_recipients(state.subscriptions, conn.connection_id, lobby)
        self.fanout(conn.tenant, agents, ConversationEvent(conversation=payloads.snapshot(state, "agent")))
        self.fanout(conn.tenant, customers, ConversationEvent(conversation=payloads.snapshot(state, "customer")))

    def announce(self, state: ConversationState, changed_by: str = "") -> None:
        """A conversation started or changed owner: its subscribers and every agent of the
        tenant (but the connection that changed it) get its snapshot."""
        lobby = self.connections.store.tenant_connections(state.tenant, "agent")
        agents, customers = conversation_recipients(state.subscriptions, changed_by, lobby)
        self.fanout(state.tenant, agents, ConversationEvent(conversation=payloads.snapshot(state, "agent")))
        self.fanout(state.tenant, customers, ConversationEvent(conversation=payloads.snapshot(state, "customer")))

    def customers(self, tenant: str, event: Event) -> int:
        """Every customer connection of the tenant (availability flips only)."""
        targets = availability_recipients(self.connections.store.tenant_connections(tenant, "customer"))
        self.fanout(tenant, targets, event)
        return len(targets)

    def customer(self, tenant: str, customer_id: str, event: Event) -> int:
        """One customer's connections (their callback's state, their place in the queue)."""
        targets = self.connections.store.user_connections(tenant, "customer", customer_id)
        self.fanout(tenant, targets, event)
        return len(targets)

    def presence(self, tenant: str, presence: AgentPresence, exclude: str | None = None) -> None:
        reachable = self.connections.reachable(presence)
        targets = presence_recipients(self.connections.store.tenant_connections(tenant, "agent"), exclude)
        self.fanout(tenant, targets, payloads.presence_event(presence, reachable))
        self.listeners.publish(PresenceChanged(tenant, presence.agent_id, presence.status, reachable))

    def typing(self, tenant: str, subs: list[Subscription], typist: str, event: TypingEvent) -> None:
        self.fanout(tenant, typing_recipients(subs, typist, event.note is True), event)

    def receipt(self, tenant: str, subs: list[Subscription], reader_connection: str, event: Event) -> None:
        self.fanout(tenant, receipt_recipients(subs, reader_connection), event)

    def agents(self, tenant: str, event: Event, only_users: set[str] | None = None, exclude: str = "") -> int:
        """Pushes an event to the tenant's agent connections (optionally only these agents', and
        never to `exclude`, the connection that caused it)."""
        online = self.connections.store.tenant_agents_online(tenant)
        targets = [c for c, user in online if (only_users is None or user in only_users) and c != exclude]
        self.fanout(tenant, targets, event)
        return len(targets)
