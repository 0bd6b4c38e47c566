"""`start`: a customer opens a conversation (or resumes their own). Opening starts nothing:
the conversation is `new` — no inbox entry, no active chat, no agent alerted — until its
customer writes or asks for a callback (`begin`)."""

from __future__ import annotations

from msgspec import UnsetType

from chalicelib.contract.actions import Start
from chalicelib.contract.events import AvailabilityEvent, ConversationEvent
from chalicelib.contract.rest.widget import Availability as Offered
from chalicelib.live import payloads
from chalicelib.live.context import Live, after_reply
from chalicelib.live.events import ConversationStarted
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import Connection, ConversationMeta, Participant
from chalicelib.store.ports import ConversationState


def start(live: Live, conn: Connection, action: Start) -> None:
    created = isinstance(action.conversation_id, UnsetType)
    if created:
        live.limits.conversation_started(conn.tenant, conn.user_id)  # before anything is stored
        state = _create(live, conn)
    else:
        state = live.timeline.conversation(conn, str(action.conversation_id))
    live.connections.subscribe(conn, state)
    offered = live.availability(conn.tenant)
    live.notifier.reply(
        conn.connection_id,
        ConversationEvent(
            conversation=payloads.snapshot(state, "customer", queue_place(live, state)),
            request_id=action.request_id,
            agents_available=offered.agents_available,
            offer=offered.offer,
            mode=offered.mode,
        ),
    )
    # The offer was read before the reply went out: a flip told to the tenant's widgets in
    # between may have reached this widget first, and the reply would then leave it stale.
    # Read again after the reply, and tell this widget when it changed (the answer stands).
    with after_reply(action.name, conn.connection_id):
        now = live.availability(conn.tenant)
        if _offer(now) != _offer(offered):
            event = AvailabilityEvent(
                now.agents_available, now.offer, now.mode, open=now.open, next_open_at=now.next_open_at
            )
            live.notifier.reply(conn.connection_id, event)


def _offer(offered: Offered) -> tuple[object, ...]:
    return (offered.offer, offered.agents_available, offered.mode, offered.open)


def begin(live: Live, state: ConversationState) -> bool:
    """new → open: the customer wrote or asked for a callback. The tenant's agents see it, the
    counters count it, routing offers it (`ConversationStarted`). False when it had started."""
    if not live.timeline.store.start_conversation(state.meta, live.clock.now()):
        return False
    metrics.add_metric(name="ConversationsStarted", unit=MetricUnit.Count, value=1)
    # Routing (a listener) may assign it at once, and that assignment announces it: then every
    # agent hears it once, assigned. Announced here only when nothing did (queued, no routing,
    # a listener failed).
    with live.notifier.awaiting_announcement(state.conversation_id) as announcement:
        live.listeners.publish(ConversationStarted(state.tenant, state.conversation_id, str(state.meta.customer_id)))
    if not announcement.told:
        live.notifier.announce(state)
    return True


def queue_place(live: Live, state: ConversationState) -> int | None:
    """The customer's place in the queue (AP-V7 count), None when it does not wait there."""
    queued_at = state.meta.queued_at
    if queued_at is None or state.meta.status != "open":
        return None
    return live.timeline.store.queue_place(state.tenant, float(queued_at))


def _create(live: Live, conn: Connection) -> ConversationState:
    now = live.clock.now()
    conversation_id = keys.new_conversation_id()
    pk = keys.conversation_pk(conn.tenant, conversation_id)
    meta = ConversationMeta(
        pk,
        keys.META_SK,
        tenant=conn.tenant,
        conversation_id=conversation_id,
        status="new",
        customer_id=conn.user_id,
        customer_name=conn.name,
        created_at=now,
        updated_at=now,
    )
    customer = Participant(
        pk,
        keys.participant_sk(conn.user_id),
        role="customer",
        user_id=conn.user_id,
        name=conn.name,
        joined_at=now,
    )
    live.timeline.store.create_conversation(meta, customer, now)
    return ConversationState(meta, {conn.user_id: customer})
