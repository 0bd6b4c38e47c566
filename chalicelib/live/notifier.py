"""Who receives each event, and getting it there: the fan-out, and the connections that turn out
to be gone.

Recipients are one small pure function per event (in the manner of Chatwoot's
`action_cable_listener.rb`), tested with exact recipient sets. A 410 from API Gateway removes
that *target* connection (never the sender); a failure of any other kind is counted and
published as `DeliveryFailed`.

Nothing here raises into an action: one bad recipient, one malformed connection item or one
failing group is logged and counted (`FanoutFailures`), and the other recipients and groups
are still told.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from chalicelib.contract.events import ConversationEvent, Event, TypingEvent
from chalicelib.live import payloads
from chalicelib.live.connections import Connections, well_formed
from chalicelib.live.events import DeliveryFailed, Listeners, PresenceChanged
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.platform.sender import Sender
from chalicelib.store import keys
from chalicelib.store.models import AgentPresence, Connection, Message, Subscription
from chalicelib.store.ports import ConversationState

# API Gateway answers 410 for a connection whose $connect has not finished yet. A 410 for a
# connection younger than this is not proof that it left (the $connect Lambda times out at 10 s).
CONNECT_GRACE_SECONDS = 30
# Events for at most this many users read their connections one user at a time (AP-C3). For
# more agents, one Query of the tenant's agent connections (AP-C2): a team is bounded. For more
# customers, still one Query each (a tenant's connected customers are not bounded, a queue is:
# routing tells at most 200), READERS of them in flight at once.
FEW_USERS = 3
READERS = 16


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
class Announcement:
    """Whether a conversation's snapshot went to the tenant's agents while it was awaited."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.told = False


class Notifier:
    def __init__(self, sender: Sender, connections: Connections, clock: Clock, listeners: Listeners) -> None:
        self.sender = sender
        self.connections = connections
        self.clock = clock
        self.listeners = listeners
        # The announcement awaited by the invocation under way (per thread: the local stack runs
        # invocations on threads; on Lambda there is one at a time).
        self._awaited = threading.local()
        self._readers: ThreadPoolExecutor | None = None
        self._readers_lock = threading.Lock()

    @contextmanager
    def awaiting_announcement(self, conversation_id: str) -> Iterator[Announcement]:
        """Within it, an `announce` of this conversation is noted on the `Announcement` it yields:
        a chat that starts is announced once, by routing when it assigns the chat at once (every
        agent then hears it assigned, not unowned and then assigned), else by its starter."""
        outer = getattr(self._awaited, "value", None)
        self._awaited.value = awaited = Announcement(conversation_id)
        try:
            yield awaited
        finally:
            self._awaited.value = outer

    def reply(self, connection_id: str, event: Event) -> None:
        """The answer to the connection that asked; never raises."""
        try:
            if not self.sender.post(connection_id, event):
                self.drop_gone([connection_id])
        except Exception:
            # Counted with the fan-out's failures: the alarm on failed deliveries sees these too.
            metrics.add_metric(name="FailedDeliveries", unit=MetricUnit.Count, value=1)
            logger.exception("reply failed", extra={"connection_id": connection_id})

    def fanout(self, tenant: str, targets: list[str], event: Event, conversation_id: str | None = None) -> None:
        """Posts one event to every target; never raises. `conversation_id` names the
        conversation the targets are subscribed to, so an orphan subscription can be removed."""
        where = (tenant, conversation_id) if conversation_id else None
        self._deliver(tenant, lambda: self.sender.post_many(targets, event), where, type(event).__name__, len(targets))

    def _deliver(
        self,
        tenant: str,
        post: Callable[[], tuple[list[str], list[str]]],
        where: tuple[str, str] | None,
        what: str,
        targets: int,
    ) -> None:
        """Runs the posts; drops the targets that are gone, counts and reports the failed; never raises."""
        try:
            gone, failed = post()
            self.drop_gone(gone, where)
            if failed:
                metrics.add_metric(name="FailedDeliveries", unit=MetricUnit.Count, value=len(failed))
                self.listeners.publish(DeliveryFailed(tenant, len(failed)))
        except Exception:
            metrics.add_metric(name="FanoutFailures", unit=MetricUnit.Count, value=1)
            logger.exception("fan-out failed", extra={"event": what, "targets": targets})

    def drop_gone(self, gone: list[str], where: tuple[str, str] | None = None) -> None:
        """A 410 means that *target* left without a $disconnect reaching us: remove it, only it.
        Each target on its own: one that cannot be removed never keeps the others."""
        now = self.clock.now()
        for connection_id in gone:
            try:
                self._drop_one(connection_id, where, now)
            except Exception:
                metrics.add_metric(name="FanoutFailures", unit=MetricUnit.Count, value=1)
                logger.exception("could not remove a gone connection", extra={"target": connection_id})

    def _drop_one(self, connection_id: str, where: tuple[str, str] | None, now: float) -> None:
        conn = self.connections.stored(connection_id)
        if conn is None:
            if where is not None:  # its item is gone but this subscription outlived it: an orphan
                self.connections.store.delete_subscription(where[0], where[1], connection_id)
                metrics.add_metric(name="OrphansRemoved", unit=MetricUnit.Count, value=1)
            return
        if not well_formed(conn):  # a bare item no $connect wrote: nothing in it can be trusted
            self.connections.forget_malformed(conn, where[0] if where else None)
            metrics.add_metric(name="OrphansRemoved", unit=MetricUnit.Count, value=1)
            return
        if now - float(conn.connected_at) < CONNECT_GRACE_SECONDS:
            return
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
            self.fanout(state.tenant, targets, payloads.message_event(msg, role), state.conversation_id)

    def conversation(self, conn: Connection, state: ConversationState, to_lobby: bool) -> None:
        """A conversation changed: tell its subscribers, and the tenant's agents when asked."""
        self._snapshot(state, conn.connection_id, self._lobby(conn.tenant) if to_lobby else [])

    def awaits_announcement(self, conversation_id: str) -> bool:
        awaited = getattr(self._awaited, "value", None)
        return awaited is not None and awaited.conversation_id == conversation_id and not awaited.told

    def announce(self, state: ConversationState, changed_by: str = "") -> None:
        """A conversation started or changed owner: its subscribers and every agent of the
        tenant (but the connection that changed it) get its snapshot."""
        self._snapshot(state, changed_by, self._lobby(state.tenant))
        awaited = getattr(self._awaited, "value", None)
        if awaited is not None and awaited.conversation_id == state.conversation_id:
            awaited.told = True

    def _snapshot(self, state: ConversationState, changed_by: str, lobby: list[str]) -> None:
        """The conversation's snapshot, in each viewer role's own terms, to its subscribers and `lobby`."""
        agents, customers = conversation_recipients(state.subscriptions, changed_by, lobby)
        cid = state.conversation_id
        self.fanout(state.tenant, agents, ConversationEvent(conversation=payloads.snapshot(state, "agent")), cid)
        self.fanout(state.tenant, customers, ConversationEvent(conversation=payloads.snapshot(state, "customer")), cid)

    def _lobby(self, tenant: str) -> list[str]:
        """The tenant's agent connections; on a failed lookup none (the subscribers are still told)."""
        try:
            return self.connections.store.tenant_connections(tenant, "agent")
        except Exception:
            metrics.add_metric(name="FanoutFailures", unit=MetricUnit.Count, value=1)
            logger.exception("lobby lookup failed", extra={"tenant": tenant})
            return []

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

    def customers_each(self, tenant: str, events: Sequence[tuple[str, Event]]) -> int:
        """Each customer's connections their own event (every waiting customer's place), posted
        all at once: one by one, 50 waiting customers took 50 posts' round trips (~0.75 s at
        15 ms a post, `bench/fanout.py` "queue moves"). Their connections are read all at once
        too (`users_connections`). Returns the connections posted to."""
        connections = self.users_connections(tenant, "customer", {customer for customer, _ in events})
        posts = [(connection_id, event) for customer_id, event in events for connection_id in connections[customer_id]]
        what = ", ".join(sorted({type(e).__name__ for _, e in events}))
        self._deliver(tenant, lambda: self.sender.post_each(posts), None, what, len(posts))
        return len(posts)

    def users_connections(self, tenant: str, role: str, users: set[str]) -> dict[str, list[str]]:
        """user id → their live connections of that role in the tenant (an empty list for a user
        with none, or whose read failed: logged and counted, the others are still read).

        Up to FEW_USERS users: their own index entries (AP-C3), one Query each. More agents: one
        Query of the tenant's agent connections (AP-C2, which carries each one's user). More
        customers: one Query each, all in flight at once. Reading every customer connection of
        the tenant instead would cost read units and time in proportion to how many customers
        have a widget open, on every queue move; one Query per customer costs them in proportion
        to the queue, and, in flight together, one round trip (49 one after another took
        ~240 ms at 5 ms a call)."""
        store = self.connections.store
        ordered = sorted(users)
        if len(ordered) > FEW_USERS and role == "agent":
            found: dict[str, list[str]] = {user: [] for user in ordered}
            for connection_id, user in store.tenant_users_online(tenant, role):
                if user in found:
                    found[user].append(connection_id)
            return found

        def read(user: str) -> list[str]:
            try:
                return store.user_connections(tenant, role, user)
            except Exception:
                metrics.add_metric(name="FanoutFailures", unit=MetricUnit.Count, value=1)
                logger.exception("could not read a user's connections", extra={"role": role, "user": user})
                return []

        if len(ordered) <= FEW_USERS:
            return {user: read(user) for user in ordered}
        return dict(zip(ordered, self._reading_pool().map(read, ordered), strict=True))

    def _reading_pool(self) -> ThreadPoolExecutor:
        with self._readers_lock:
            if self._readers is None:
                self._readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="lookups")
            return self._readers

    def presence(self, tenant: str, presence: AgentPresence, exclude: str | None = None) -> None:
        """The change, with how many agents can answer now, to the tenant's agents: their
        dashboards' counter follows it, so the counters stream pushes nothing for it."""
        reachable = self.connections.reachable(presence)
        available = len(self.connections.available_agents(tenant))
        targets = presence_recipients(self.connections.store.tenant_connections(tenant, "agent"), exclude)
        self.fanout(tenant, targets, payloads.presence_event(presence, reachable, available))
        self.listeners.publish(PresenceChanged(tenant, presence.agent_id, presence.status, reachable, available))

    def typing(self, tenant: str, subs: list[Subscription], typist: str, event: TypingEvent) -> None:
        self.fanout(tenant, typing_recipients(subs, typist, event.note is True), event, _subscribed_to(subs))

    def receipt(
        self, tenant: str, subs: list[Subscription], reader_connection: str, by_role: Mapping[str, Event]
    ) -> None:
        """One event per viewer role: each side hears the cursor in its own numbering."""
        targets = set(receipt_recipients(subs, reader_connection))
        for role, event in by_role.items():
            group = [s.connection_id for s in subs if s.connection_id in targets and s.role == role]
            self.fanout(tenant, group, event, _subscribed_to(subs))

    def agents(self, tenant: str, event: Event, only_users: set[str] | None = None, exclude: str = "") -> int:
        """Pushes an event to the tenant's agent connections (optionally only these agents', and
        never to `exclude`, the connection that caused it)."""
        if only_users is not None:
            # Only these agents' connections (an assignment's owner): `users_connections` reads
            # a few agent by agent, not every agent connection of the tenant to keep a handful.
            mine = self.users_connections(tenant, "agent", only_users)
            targets = [c for user in sorted(mine) for c in mine[user] if c != exclude]
        else:
            online = self.connections.store.tenant_users_online(tenant, "agent")
            targets = [c for c, _ in online if c != exclude]
        self.fanout(tenant, targets, event)
        return len(targets)


def _subscribed_to(subs: list[Subscription]) -> str | None:
    """The conversation a list of subscriptions belongs to (they all share its partition)."""
    return keys.conversation_id_from_pk(str(subs[0].pk)) if subs else None
