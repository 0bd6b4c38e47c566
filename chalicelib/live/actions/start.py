"""`start`: a customer opens a new conversation, or resumes their own."""

from __future__ import annotations

from msgspec import UnsetType

from chalicelib.contract.actions import Start
from chalicelib.contract.events import ConversationEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.live.events import ConversationStarted
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import Connection, ConversationMeta, Participant
from chalicelib.store.ports import ConversationState


def start(live: Live, conn: Connection, action: Start) -> None:
    created = isinstance(action.conversation_id, UnsetType)
    if created:
        state = _create(live, conn)
        metrics.add_metric(name="ConversationsStarted", unit=MetricUnit.Count, value=1)
    else:
        state = live.timeline.conversation(conn, str(action.conversation_id))
    live.connections.subscribe(conn, state)
    live.notifier.reply(
        conn.connection_id,
        ConversationEvent(
            conversation=payloads.snapshot(state, "customer"),
            request_id=action.request_id,
            agents_available=live.connections.agents_available(conn.tenant),
        ),
    )
    if created:
        live.notifier.conversation(conn, state, to_lobby=True)
        live.listeners.publish(ConversationStarted(conn.tenant, state.conversation_id, conn.user_id))


def _create(live: Live, conn: Connection) -> ConversationState:
    now = live.clock.now()
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
    live.timeline.store.create_conversation(meta, customer, now)
    return ConversationState(meta, {conn.user_id: customer}, [])
