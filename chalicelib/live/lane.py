"""The live lane's entry points: `$connect`, `$default` and `$disconnect`, and the narrow port the
work lanes push through (`push_to_agents`, `post_to_thread`, `typing_stopped`).

`LiveLane.handle` is the whole `$default` route: parse and validate the frame, authorize it
against the identity bound at `$connect`, run one action (`live/actions/`), and answer. Every
failure becomes one `error` event to the sending connection only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import msgspec

from chalicelib.contract.actions import parse_action
from chalicelib.contract.common import ErrorCode
from chalicelib.contract.events import ErrorEvent, Event, TypingEvent
from chalicelib.contract.rest.widget import Availability as Offered
from chalicelib.live import payloads
from chalicelib.live.actions import ACTIONS, AGENT_ONLY, CUSTOMER_ONLY, WRITES
from chalicelib.live.actions.start import begin
from chalicelib.live.connections import Connections
from chalicelib.live.context import Availability, Live
from chalicelib.live.events import Listeners
from chalicelib.live.lines import Line
from chalicelib.live.notifier import Notifier
from chalicelib.live.ownership import Ownership
from chalicelib.live.presence import PresenceRule
from chalicelib.live.timeline import Timeline
from chalicelib.platform.auth import AgentVerifier, Identity, WidgetTokens
from chalicelib.platform.clock import Clock
from chalicelib.platform.config import Settings
from chalicelib.platform.errors import Forbidden, HubError, RateLimited, SessionExpired
from chalicelib.platform.limits import RateLimits
from chalicelib.platform.observability import MetricUnit, logger, metrics
from chalicelib.platform.sender import Sender
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import ConnectionStore, ConversationStore, QueuedConversation


class LiveLane:
    def __init__(
        self,
        connection_store: ConnectionStore,
        conversation_store: ConversationStore,
        sender: Sender,
        clock: Clock,
        settings: Settings,
        agents: AgentVerifier,
        widgets: WidgetTokens,
        listeners: Listeners,
        limits: RateLimits,
        rule: PresenceRule | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.listeners = listeners
        self.limits = limits
        self.rule = rule or PresenceRule(settings.presence_window)
        self.connections = Connections(connection_store, clock, settings, agents, widgets, self.rule)
        self.notifier = Notifier(sender, self.connections, clock, listeners)
        self.timeline = Timeline(conversation_store, clock)
        self.ownership = Ownership(self.timeline, self.connections, self.notifier, listeners, clock)
        self.live = Live(
            self.connections,
            self.notifier,
            self.timeline,
            listeners,
            clock,
            self.ownership,
            self._availability,
            limits,
        )

    def _availability(self, tenant: str) -> Offered:
        """Until the hub hands in its own (`use_availability`): someone available means chat."""
        available = self.connections.agents_available(tenant)
        return Offered(agents_available=available, offer="chat" if available else "callback", mode="ready")

    def use_availability(self, availability: Availability) -> None:
        """What the widget may offer is the hub's decision (mode and presence); wiring hands it in."""
        self.live.availability = availability

    # ================================================================ $connect / $disconnect
    def identify_and_bind(self, connection_id: str, query: dict[str, str]) -> Identity:
        """Verifies the credential and binds it to the connection. Raises Unauthorized."""
        who, presence = self.connections.bind(connection_id, query)
        if presence is not None:  # an agent who was not reachable is now
            self.notifier.presence(who.tenant, presence, exclude=connection_id)
        return who

    def disconnect(self, connection_id: str) -> None:
        self.connections.forget_cached(connection_id)
        self.limits.forget(connection_id)
        conn = self.connections.stored(connection_id)  # even an expired item is cleaned up
        if conn is not None:
            self.notifier.forget(conn)

    # ================================================================ $default
    def handle(self, connection_id: str, body: str | None) -> None:
        """Never raises: every failure is an `error` event to this connection only."""
        try:
            self.limits.action(connection_id)  # before anything is read: a flood costs nothing
        except RateLimited as exc:
            metrics.add_metric(name="RejectedActions", unit=MetricUnit.Count, value=1)
            if self.limits.answer_refusal(connection_id):
                self._reply_error(connection_id, exc, body)
            return
        try:
            now = self.clock.now()
            conn = self.connections.bound(connection_id, now)
            if conn is None:
                raise SessionExpired("this connection is no longer registered; reconnect")
            action = parse_action(body, conn.tenant)
            if action.name in WRITES:
                self.limits.write(connection_id)
            if float(conn.auth_expires_at) <= now:
                raise SessionExpired("your sign-in has expired; reconnect with a fresh token")
            name = action.name
            if name in AGENT_ONLY and conn.role != "agent":
                raise Forbidden(f"'{name}' is for agents only")
            if name in CUSTOMER_ONLY and conn.role != "customer":
                raise Forbidden(f"'{name}' is for customers only; agents use 'join'")
            ACTIONS[name](self.live, conn, action)
        except RateLimited as exc:  # a write over the connection's budget: as cheap as above
            metrics.add_metric(name="RejectedActions", unit=MetricUnit.Count, value=1)
            if self.limits.answer_refusal(connection_id):
                self._reply_error(connection_id, exc, body)
        except HubError as exc:
            metrics.add_metric(name="RejectedActions", unit=MetricUnit.Count, value=1)
            logger.info(
                "action rejected", extra={"code": exc.code, "reason": exc.message, "connection_id": connection_id}
            )
            self._reply_error(connection_id, exc, body)
        except Exception:
            logger.exception("action failed", extra={"connection_id": connection_id})
            self.notifier.reply(
                connection_id,
                ErrorEvent(
                    code="internal", message="the hub failed; retry with the same client_id", **_echo_fields(body)
                ),
            )

    def _reply_error(self, connection_id: str, exc: HubError, body: str | None) -> None:
        error = ErrorEvent(
            code=cast(ErrorCode, exc.code),
            message=exc.message,
            retry_after=exc.retry_after if isinstance(exc, RateLimited) else msgspec.UNSET,
            **_echo_fields(body),
        )
        self.notifier.reply(connection_id, error)

    # ================================================================ the port the work lanes push through
    def push_to_agents(self, tenant: str, event: Event, only_users: set[str] | None = None) -> int:
        """Pushes an event to the tenant's agent connections (optionally only these agents')."""
        return self.notifier.agents(tenant, event, only_users)

    def available_agents(self, tenant: str) -> set[str]:
        return self.connections.available_agents(tenant)

    def push_to_customer(self, tenant: str, customer_id: str, event: Event) -> int:
        return self.notifier.customer(tenant, customer_id, event)

    def push_to_customers(self, tenant: str, event: Event) -> int:
        return self.notifier.customers(tenant, event)

    def push_each_to_customer(self, tenant: str, events: Sequence[tuple[str, Event]]) -> int:
        return self.notifier.customers_each(tenant, events)

    def post_to_thread(self, tenant: str, conversation_id: str, line: Line, key: str) -> None:
        """A system line in a conversation's thread, told to its subscribers. `key` makes it
        idempotent: the same key never adds a second line."""
        state, msg, stored_now = self.timeline.system_entry(tenant, conversation_id, line, key)
        if stored_now:
            self.notifier.message(state, msg, "")

    def start_conversation(self, tenant: str, conversation_id: str) -> bool:
        """The customer asked for something (a callback) in a conversation not started yet."""
        state = self.timeline.store.load_conversation(tenant, conversation_id, self.clock.now())
        if state is None or state.meta.status != "new":
            return False
        return begin(self.live, state)

    def conversation(self, tenant: str, conversation_id: str) -> ConversationMeta | None:
        state = self.timeline.store.load_conversation(tenant, conversation_id, self.clock.now())
        return state.meta if state else None

    def change_owner(
        self,
        tenant: str,
        conversation_id: str,
        to: tuple[str, str] | None,
        expect_owner: str | None,
        by: tuple[str, str],
        reason: str,
        capacity: int | None = None,
        queue_at: float | None = None,
    ) -> None:
        self.ownership.change(tenant, conversation_id, to, expect_owner, by, reason, capacity, queue_at)

    def queue(self, tenant: str, limit: int) -> list[QueuedConversation]:
        return self.timeline.store.queue(tenant, limit)

    def queue_place(self, tenant: str, queued_at: float) -> int:
        return self.timeline.store.queue_place(tenant, queued_at)

    def typing_stopped(self, tenant: str, conversation_id: str, user_id: str) -> None:
        """The drift sweep switched a stale indicator off: tell the others it stopped."""
        state = self.timeline.store.load_conversation(tenant, conversation_id, self.clock.now())
        who = state.participants.get(user_id) if state else None
        if state is None or who is None:
            return
        event = TypingEvent(
            conversation_id=conversation_id, by=payloads.person(who.role, who.user_id, who.name), state="stop"
        )
        self.notifier.typing(tenant, state.subscriptions, who.user_id, event)


def _echo_fields(body: str | None) -> dict[str, Any]:
    """Best-effort correlation fields for an error reply (read only when there is an error, from
    the frame's top level)."""
    try:
        top = msgspec.json.decode(body or b"", type=dict[str, msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return {}
    data: dict[str, Any] = {}
    for k in ("request_id", "action", "client_id", "conversation_id"):
        if k in top:
            try:
                data[k] = msgspec.json.decode(top[k])
            except (msgspec.DecodeError, RecursionError):
                continue
    return {
        k: data[k]
        for k in ("request_id", "action", "client_id", "conversation_id")
        if isinstance(data.get(k), str) and len(data[k]) <= 64
    }
