"""The live lane: what each WebSocket action does, for whom, and who hears about it.

`LiveLane.handle` is the whole `$default` route: parse and validate the frame,
authorize it against the identity bound at `$connect`, call one action, and
answer. Every failure becomes one `error` event to the sending connection only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib import events, keys
from chalicelib.auth import AgentVerifier, Identity, WidgetTokens
from chalicelib.clock import Clock, SystemClock, iso
from chalicelib.config import Settings
from chalicelib.config import settings as load_settings
from chalicelib.errors import (
    ClientIdReused,
    Forbidden,
    HubError,
    InvalidAction,
    NotFound,
    NotJoined,
    SessionExpired,
    Unauthorized,
)
from chalicelib.models import Connection, ConversationMeta, Participant, bind_tables
from chalicelib.observability import MetricUnit, logger, metrics
from chalicelib.protocol import parse_action
from chalicelib.sender import Sender
from chalicelib.store import ClientIdTaken, ConversationState, NewEntry, SequenceConflict, Store, backoff, text_hash

MAX_APPEND_ATTEMPTS = 40
# API Gateway answers 410 for a connection whose $connect has not finished yet. A 410 for a
# connection younger than this is not proof that it left (the $connect Lambda times out at 10 s).
CONNECT_GRACE_SECONDS = 30
CONNECTION_CACHE_SIZE = 10_000
SYNC_PAGE_BYTES = 96 * 1024  # one sync event stays well under API Gateway's 128 KB
AGENT_ONLY = {"join", "note", "presence", "close"}
CUSTOMER_ONLY = {"start"}

Action = Callable[[Connection, dict[str, Any]], None]


class LiveLane:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        clock: Clock,
        settings: Settings,
        agents: AgentVerifier,
        widgets: WidgetTokens,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.settings = settings
        self.agents = agents
        self.widgets = widgets
        self._connections: dict[str, Connection] = {}
        # Hooks the work lanes set (counters, tickets); the live lane works without them.
        self.delivery_failed: Callable[[str, int], None] | None = None
        self.conversation_changed: Callable[[str], None] | None = None
        self.customer_replied: Callable[[Connection, ConversationMeta], object] | None = None
        self._actions: dict[str, Action] = {
            "start": self._start,
            "join": self._join,
            "send": self._send,
            "note": self._send,
            "typing": self._typing,
            "delivered": self._receipt,
            "read": self._receipt,
            "presence": self._presence,
            "heartbeat": self._heartbeat,
            "sync": self._sync,
            "close": self._close,
        }

    @classmethod
    def from_env(cls, clock: Clock | None = None) -> LiveLane:
        bind_tables()
        cfg = load_settings()
        clock = clock or SystemClock()
        return cls(
            Store(cfg.region),
            Sender(cfg.ws_management_endpoint, cfg.region),
            clock,
            cfg,
            AgentVerifier(cfg, clock),
            WidgetTokens(cfg, clock),
        )

    # ================================================================ $connect / $disconnect
    def identify(self, query: dict[str, str]) -> Identity:
        if query.get("token"):
            return self.agents.verify(query["token"])
        if query.get("session"):
            return self.widgets.verify(query["session"])
        raise Unauthorized("no credential: connect with ?token=<Cognito ID token> or ?session=<widget session>")

    def identify_and_bind(self, connection_id: str, query: dict[str, str]) -> Identity:
        """Verifies the credential and binds it to the connection. Raises Unauthorized."""
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
        if who.role == "agent":
            before, after = self.store.touch_presence(who.tenant, who.user_id, who.name, now)
            if before is None or not events.is_reachable(before, now, self.settings.presence_window):
                self._broadcast_presence(who.tenant, after, exclude=connection_id)
        metrics.add_metric(name="Connections", unit=MetricUnit.Count, value=1)
        return who

    def disconnect(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)
        conn = self.store.get_connection(connection_id, now=0)  # even an expired item is cleaned up
        if conn is None:
            return
        self._forget(conn)

    def _bound(self, connection_id: str, now: float) -> Connection | None:
        """The identity bound at $connect. It never changes for a connection's life, so a warm
        container keeps it and saves the read on every later frame; the item's own expiry is
        still checked each time. (A bounded dict: hand-written, it is ten lines.)"""
        conn = self._connections.get(connection_id)
        if conn is None:
            conn = self.store.get_connection(connection_id, now)
            if conn is None:
                return None
            if len(self._connections) >= CONNECTION_CACHE_SIZE:
                self._connections.pop(next(iter(self._connections)))
            self._connections[connection_id] = conn
        elif conn.expires_at is not None and conn.expires_at.timestamp() <= now:
            self._connections.pop(connection_id, None)
            return None
        return conn

    def _forget(self, conn: Connection) -> None:
        self._connections.pop(conn.connection_id, None)
        self.store.delete_connection(conn)
        if conn.role == "agent" and not self.store.user_connections(conn.tenant, "agent", conn.user_id):
            presence = self.store.drop_heartbeat(conn.tenant, conn.user_id)
            if presence is not None:
                self._broadcast_presence(conn.tenant, presence)

    # ================================================================ $default
    def handle(self, connection_id: str, body: str | None) -> None:
        """Never raises: every failure is an `error` event to this connection only."""
        request = _echo_fields(body)
        try:
            now = self.clock.now()
            conn = self._bound(connection_id, now)
            if conn is None:
                raise SessionExpired("this connection is no longer registered; reconnect")
            data = parse_action(body, conn.tenant)
            if float(conn.auth_expires_at) <= now:
                raise SessionExpired("your sign-in has expired; reconnect with a fresh token")
            action = data["action"]
            if action in AGENT_ONLY and conn.role != "agent":
                raise Forbidden(f"'{action}' is for agents only")
            if action in CUSTOMER_ONLY and conn.role != "customer":
                raise Forbidden(f"'{action}' is for customers only; agents use 'join'")
            self._actions[action](conn, data)
        except HubError as exc:
            metrics.add_metric(name="RejectedActions", unit=MetricUnit.Count, value=1)
            logger.info(
                "action rejected", extra={"code": exc.code, "reason": exc.message, "connection_id": connection_id}
            )
            self._reply(connection_id, {"type": "error", "code": exc.code, "message": exc.message, **request})
        except Exception:
            logger.exception("action failed", extra={"connection_id": connection_id})
            self._reply(
                connection_id,
                {
                    "type": "error",
                    "code": "internal",
                    "message": "the hub failed; retry with the same client_id",
                    **request,
                },
            )

    def _reply(self, connection_id: str, event: dict[str, Any]) -> None:
        try:
            if not self.sender.post(connection_id, event):
                self._drop_gone([connection_id])
        except Exception:
            logger.exception("reply failed", extra={"connection_id": connection_id})

    # ================================================================ helpers
    def _conversation(self, conn: Connection, conversation_id: str) -> ConversationState:
        """The conversation as this connection may see it; anything else is `not_found`."""
        state = self.store.load_conversation(conn.tenant, conversation_id, self.clock.now())
        if state is None or (conn.role == "customer" and state.meta.customer_id != conn.user_id):
            raise NotFound(f"no conversation {conversation_id!r} for you")
        return state

    def _subscribe(self, conn: Connection, state: ConversationState) -> None:
        if not any(s.connection_id == conn.connection_id for s in state.subscriptions):
            self.store.subscribe(conn, conn.tenant, state.conversation_id)
            state.subscriptions.append(_subscription_stub(conn))

    def _fanout(self, tenant: str, targets: list[str], event: dict[str, Any]) -> None:
        gone, failed = self.sender.post_many(targets, event)
        self._drop_gone(gone)
        if failed:
            metrics.add_metric(name="FailedDeliveries", unit=MetricUnit.Count, value=len(failed))
            if self.delivery_failed is not None:
                self.delivery_failed(tenant, len(failed))

    def _drop_gone(self, gone: list[str]) -> None:
        """A 410 means that *target* left without a $disconnect reaching us: remove it, only it."""
        now = self.clock.now()
        for connection_id in gone:
            conn = self.store.get_connection(connection_id, now=0)
            if conn is None or now - float(conn.connected_at) < CONNECT_GRACE_SECONDS:
                continue
            self._forget(conn)
            metrics.add_metric(name="GoneConnections", unit=MetricUnit.Count, value=1)

    def _deliver(self, state: ConversationState, msg: Any, sender_connection: str) -> None:
        """One `message` event per viewer role (their `prev_seq` differs) to every recipient."""
        by_role: dict[str, list[str]] = {}
        for cid, role in events.message_recipients(state.subscriptions, sender_connection, msg.kind).items():
            by_role.setdefault(role, []).append(cid)
        for role, targets in by_role.items():
            self._fanout(state.tenant, targets, events.message_event(msg, role))

    def agents_available(self, tenant: str) -> bool:
        now = self.clock.now()
        window = self.settings.presence_window
        return any(events.is_available(p, now, window) for p in self.store.tenant_presence(tenant))

    def _broadcast_presence(self, tenant: str, presence: Any, exclude: str | None = None) -> None:
        reachable = events.is_reachable(presence, self.clock.now(), self.settings.presence_window)
        targets = [c for c in self.store.tenant_connections(tenant, "agent") if c != exclude]
        self._fanout(tenant, targets, events.presence_event(presence, reachable))
        if self.conversation_changed is not None:  # agents available may have changed
            self.conversation_changed(tenant)

    def _announce(self, conn: Connection, state: ConversationState, to_lobby: bool) -> None:
        """A conversation changed: tell its subscribers, and the tenant's agents when asked."""
        subs = {s.connection_id: s.role for s in state.subscriptions if s.connection_id != conn.connection_id}
        agent_targets = [c for c, role in subs.items() if role == "agent"]
        if to_lobby:
            agent_targets += [c for c in self.store.tenant_connections(conn.tenant, "agent") if c != conn.connection_id]
        self._fanout(
            conn.tenant, agent_targets, {"type": "conversation", "conversation": events.snapshot(state, "agent")}
        )
        customer_targets = [c for c, role in subs.items() if role == "customer"]
        self._fanout(
            conn.tenant, customer_targets, {"type": "conversation", "conversation": events.snapshot(state, "customer")}
        )

    def _append(
        self,
        conn: Connection,
        conversation_id: str,
        entry: NewEntry,
        prepare: Callable[[ConversationState], tuple[list[Any], Participant | None]] | None = None,
    ) -> tuple[ConversationState, Any, bool]:
        def load() -> ConversationState:
            state = self._conversation(conn, conversation_id)
            if entry.author_role == "agent" and conn.user_id not in state.participants:
                raise NotJoined(f"join conversation {conversation_id!r} before writing to it")
            return state

        return self._append_to(conn.tenant, conversation_id, load, entry, prepare)

    def _append_to(
        self,
        tenant: str,
        conversation_id: str,
        load: Callable[[], ConversationState],
        entry: NewEntry,
        prepare: Callable[[ConversationState], tuple[list[Any], Participant | None]] | None = None,
    ) -> tuple[ConversationState, Any, bool]:
        """Stores an entry with the next sequence, retrying when another writer won the race.

        Returns (state, message, stored_now); stored_now is False for a resend of a client id.
        """
        for attempt in range(MAX_APPEND_ATTEMPTS):
            state = load()
            extra, new_participant = prepare(state) if prepare else ([], None)
            try:
                msg = self.store.append(state, entry, self.clock.now(), extra, new_participant)
            except SequenceConflict:
                metrics.add_metric(name="SequenceRetries", unit=MetricUnit.Count, value=1)
                backoff(attempt)
                continue
            except ClientIdTaken:
                key = self.store.get_client_key(tenant, conversation_id, entry.author_id, entry.client_id)
                if key is None:  # the key vanished between the write and the read: try again
                    continue
                if key.text_hash != text_hash(entry.text):
                    raise ClientIdReused(
                        f"client_id {entry.client_id!r} was already used for a different message; use a new client_id"
                    ) from None
                stored = self.store.get_message(tenant, conversation_id, int(key.seq))
                if stored is None:
                    raise RuntimeError(f"idempotency key points at missing entry {key.seq}") from None
                return state, stored, False
            if new_participant is not None:
                state.participants[new_participant.user_id] = new_participant
            return state, msg, True
        raise SequenceConflict(f"gave up after {MAX_APPEND_ATTEMPTS} attempts")

    # ================================================================ for the work lanes
    def broadcast_agents(self, tenant: str, event: dict[str, Any], only_users: set[str] | None = None) -> int:
        """Pushes an event to the tenant's agent connections (optionally only these agents')."""
        targets = [c for c, user in self.store.tenant_agents_online(tenant) if only_users is None or user in only_users]
        self._fanout(tenant, targets, event)
        return len(targets)

    def available_agents(self, tenant: str) -> set[str]:
        now = self.clock.now()
        window = self.settings.presence_window
        return {p.agent_id for p in self.store.tenant_presence(tenant) if events.is_available(p, now, window)}

    def system_entry(self, tenant: str, conversation_id: str, text: str, key: str) -> None:
        """A system line in a conversation's thread (callback and ticket changes), told to its
        subscribers. `key` makes it idempotent: the same key never adds a second line."""

        def load() -> ConversationState:
            state = self.store.load_conversation(tenant, conversation_id, self.clock.now())
            if state is None:
                raise NotFound(f"no conversation {conversation_id!r}")
            return state

        entry = NewEntry("system", "system", "hub", "Hub", text, key)
        state, msg, stored_now = self._append_to(tenant, conversation_id, load, entry)
        if stored_now:
            self._deliver(state, msg, "")

    def typing_stopped(self, tenant: str, pk: str, sk: str) -> None:
        """The drift sweep switched a stale indicator off: tell the others it stopped."""
        conversation_id = pk.rsplit("#C#", 1)[-1]
        state = self.store.load_conversation(tenant, conversation_id, self.clock.now())
        who = state.participants.get(sk.removeprefix(keys.PARTICIPANT_PREFIX)) if state else None
        if state is None or who is None:
            return
        event = {
            "type": "typing",
            "conversation_id": conversation_id,
            "by": events.person(who.role, who.user_id, who.name),
            "state": "stop",
        }
        self._fanout(tenant, events.typing_recipients(state.subscriptions, who.user_id, False), event)

    # ================================================================ actions
    def _start(self, conn: Connection, data: dict[str, Any]) -> None:
        conversation_id = data.get("conversation_id")
        created = conversation_id is None
        if created:
            now = self.clock.now()
            conversation_id = keys.new_conversation_id()
            pk = keys.conversation_pk(conn.tenant, conversation_id)
            meta = ConversationMeta(
                pk,
                keys.META_SK,
                tenant=conn.tenant,
                conversation_id=conversation_id,
                gsi_tenant=conn.tenant,
                status="open",
                customer_id=conn.user_id,
                customer_name=conn.name,
                last_seq=0,
                last_public_seq=0,
                created_at=now,
                updated_at=now,
                active_tenant=conn.tenant,
            )
            customer = Participant(
                pk,
                keys.participant_sk(conn.user_id),
                role="customer",
                user_id=conn.user_id,
                name=conn.name,
                delivered_seq=0,
                read_seq=0,
                joined_at=now,
            )
            self.store.create_conversation(meta, customer, now)
            state = ConversationState(meta, {conn.user_id: customer}, [])
            metrics.add_metric(name="ConversationsStarted", unit=MetricUnit.Count, value=1)
        else:
            state = self._conversation(conn, str(conversation_id))
        self._subscribe(conn, state)
        self._reply(
            conn.connection_id,
            {
                "type": "conversation",
                **_request_id(data),
                "conversation": events.snapshot(state, "customer"),
                "agents_available": self.agents_available(conn.tenant),
            },
        )
        if created:
            self._announce(conn, state, to_lobby=True)
            if self.conversation_changed is not None:
                self.conversation_changed(conn.tenant)

    def _close(self, conn: Connection, data: dict[str, Any]) -> None:
        """An agent closes a conversation: it leaves the active chats; its thread stays."""
        state = self._conversation(conn, data["conversation_id"])
        closed = self.store.close_conversation(state.meta, self.clock.now())
        if closed:
            entry = NewEntry(
                "system",
                "system",
                "hub",
                "Hub",
                f"{conn.name} closed the conversation",
                f"close-{keys.new_customer_id()}",
            )
            state, msg, _ = self._append(conn, state.conversation_id, entry)
            self._deliver(state, msg, "")
        self._reply(
            conn.connection_id,
            {"type": "conversation", **_request_id(data), "conversation": events.snapshot(state, "agent")},
        )
        if closed:
            self._announce(conn, state, to_lobby=True)
            if self.conversation_changed is not None:
                self.conversation_changed(conn.tenant)

    def _join(self, conn: Connection, data: dict[str, Any]) -> None:
        conversation_id = data["conversation_id"]
        wants_owner = data.get("role") == "owner"
        state = self._conversation(conn, conversation_id)
        me = state.participants.get(conn.user_id)
        becomes_owner = state.meta.owner_id is None or (wants_owner and state.meta.owner_id != conn.user_id)
        changed = me is None or becomes_owner
        if changed:
            verb = "joined" if me is None else "took over"
            entry = NewEntry(
                "system",
                "system",
                "hub",
                "Hub",
                f"{conn.name} {verb} the conversation",
                f"join-{keys.new_customer_id()}",
            )

            def prepare(current: ConversationState) -> tuple[list[Any], Participant | None]:
                owner_now = current.meta.owner_id is None or (wants_owner and current.meta.owner_id != conn.user_id)
                actions = []
                if owner_now:
                    actions = [ConversationMeta.owner_id.set(conn.user_id), ConversationMeta.owner_name.set(conn.name)]
                if conn.user_id in current.participants:
                    return actions, None
                participant = Participant(
                    current.meta.pk,
                    keys.participant_sk(conn.user_id),
                    role="agent",
                    user_id=conn.user_id,
                    name=conn.name,
                    agent_role="owner" if owner_now else "helper",
                    delivered_seq=0,
                    read_seq=0,
                    joined_at=self.clock.now(),
                )
                return actions, participant

            state, msg, _ = self._append(conn, conversation_id, entry, prepare)
            state = self._conversation(conn, conversation_id)  # owner and roles as stored
            self._subscribe(conn, state)
            self._deliver(state, msg, conn.connection_id)
        else:
            self._subscribe(conn, state)
        self._reply(
            conn.connection_id,
            {"type": "conversation", **_request_id(data), "conversation": events.snapshot(state, "agent")},
        )
        if changed:
            self._announce(conn, state, to_lobby=True)

    def _send(self, conn: Connection, data: dict[str, Any]) -> None:
        kind = "note" if data["action"] == "note" else "text"
        entry = NewEntry(kind, conn.role, conn.user_id, conn.name, data["text"], data["client_id"])
        state, msg, stored_now = self._append(conn, data["conversation_id"], entry)
        self._reply(
            conn.connection_id,
            {
                "type": "ack",
                "action": data["action"],
                **_request_id(data),
                "conversation_id": state.conversation_id,
                "client_id": entry.client_id,
                "seq": int(msg.seq),
                "status": "sent" if stored_now else "sent-again",
                "created_at": iso(float(msg.created_at)),
            },
        )
        # A resend may follow a crash between storing and telling: tell again (receivers dedupe by seq).
        self._deliver(state, msg, conn.connection_id)
        if stored_now:
            metrics.add_metric(name="MessagesStored", unit=MetricUnit.Count, value=1)
            if conn.role == "customer" and state.meta.waiting_ticket_id and self.customer_replied is not None:
                self.customer_replied(conn, state.meta)
            if (
                conn.role == "customer"
                and state.meta.status == "closed"
                and self.store.reopen_conversation(state.meta, self.clock.now())
            ):
                self._announce(conn, state, to_lobby=True)
                if self.conversation_changed is not None:
                    self.conversation_changed(conn.tenant)
            if conn.role == "customer" and state.meta.owner_id is None and state.spoke_last_before != "customer":
                # Nobody owns this thread and it just started waiting: every agent of the tenant
                # must see it. Further customer lines while it waits reach its subscribers only.
                self._announce(conn, state, to_lobby=True)

    def _typing(self, conn: Connection, data: dict[str, Any]) -> None:
        state = self._conversation(conn, data["conversation_id"])
        note = bool(data.get("note"))
        if note and conn.role != "agent":
            raise Forbidden("only agents type notes")
        me = state.participants.get(conn.user_id)
        if me is not None:
            self.store.set_typing(conn.tenant, me, self.clock.now() if data["state"] == "start" else None)
        event: dict[str, Any] = {
            "type": "typing",
            "conversation_id": state.conversation_id,
            "by": events.person(conn.role, conn.user_id, conn.name),
            "state": data["state"],
        }
        if note:
            event["note"] = True
        self._fanout(conn.tenant, events.typing_recipients(state.subscriptions, conn.user_id, note), event)

    def _receipt(self, conn: Connection, data: dict[str, Any]) -> None:
        kind = data["action"]  # "delivered" | "read"
        state = self._conversation(conn, data["conversation_id"])
        seq = int(data["seq"])
        visible_last = int(state.meta.last_public_seq if conn.role == "customer" else state.meta.last_seq)
        if seq > visible_last:
            raise InvalidAction(f"{kind}: seq {seq} is beyond the conversation's last entry ({visible_last})")
        me = state.participants.get(conn.user_id)
        if me is None:
            raise NotJoined(f"join conversation {state.conversation_id!r} before sending receipts")
        moved = self.store.advance_cursor(me, kind, seq)
        if kind == "read" and moved and int(me.delivered_seq) < seq:
            self.store.advance_cursor(me, "delivered", seq)  # read implies delivered
        self._reply(
            conn.connection_id,
            {"type": "ack", "action": kind, **_request_id(data), "conversation_id": state.conversation_id, "seq": seq},
        )
        if moved:
            event = {
                "type": kind,
                "conversation_id": state.conversation_id,
                "by": events.person(conn.role, conn.user_id, conn.name),
                "seq": seq,
            }
            self._fanout(conn.tenant, events.receipt_recipients(state.subscriptions, conn.connection_id), event)

    def _presence(self, conn: Connection, data: dict[str, Any]) -> None:
        _, after = self.store.touch_presence(conn.tenant, conn.user_id, conn.name, self.clock.now(), data["status"])
        self._reply(conn.connection_id, {"type": "ack", "action": "presence", **_request_id(data)})
        self._broadcast_presence(conn.tenant, after)

    def _heartbeat(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.role == "agent":
            now = self.clock.now()
            before, after = self.store.touch_presence(conn.tenant, conn.user_id, conn.name, now)
            if before is None or not events.is_reachable(before, now, self.settings.presence_window):
                self._broadcast_presence(conn.tenant, after)
        self._reply(conn.connection_id, {"type": "ack", "action": "heartbeat", **_request_id(data)})

    def _sync(self, conn: Connection, data: dict[str, Any]) -> None:
        state = self._conversation(conn, data["conversation_id"])
        since = int(data["since"])
        self._subscribe(conn, state)
        viewer = conn.role
        out: list[dict[str, Any]] = []
        size = 0
        complete = True
        for msg in self.store.messages_since(
            conn.tenant, state.conversation_id, since, include_notes=viewer == "agent"
        ):
            event = events.message_event(msg, viewer)
            size += len(json.dumps(event, ensure_ascii=False).encode("utf-8"))
            if out and size > SYNC_PAGE_BYTES:
                complete = False
                break
            out.append(event)
        reply: dict[str, Any] = {
            "type": "sync",
            **_request_id(data),
            "conversation_id": state.conversation_id,
            "since": since,
            "messages": out,
            "conversation": events.snapshot(state, viewer),
            "complete": complete,
        }
        if not complete:
            reply["next_since"] = out[-1]["seq"]
        self._reply(conn.connection_id, reply)


def _request_id(data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": data["request_id"]} if "request_id" in data else {}


def _echo_fields(body: str | None) -> dict[str, Any]:
    """Best-effort correlation fields for an error reply, read before validation."""
    try:
        data = json.loads(body or "")
    except (ValueError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: data[k]
        for k in ("request_id", "action", "client_id", "conversation_id")
        if isinstance(data.get(k), str) and len(data[k]) <= 64
    }


def _subscription_stub(conn: Connection) -> Any:
    from chalicelib.models import Subscription

    return Subscription(connection_id=conn.connection_id, role=conn.role, user_id=conn.user_id)
