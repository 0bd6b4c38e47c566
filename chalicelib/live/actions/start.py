"""`start`: a customer opens a new conversation, or resumes their own."""

from __future__ import annotations

from typing import Any

from chalicelib.live import payloads
from chalicelib.live.context import Live, request_id
from chalicelib.live.events import ConversationStarted
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store import keys
from chalicelib.store.models import Connection, ConversationMeta, Participant
from chalicelib.store.ports import ConversationState


def start(live: Live, conn: Connection, data: dict[str, Any]) -> None:
    conversation_id = data.get("conversation_id")
    created = conversation_id is None
    if created:
        state = _create(live, conn)
        metrics.add_metric(name="ConversationsStarted", unit=MetricUnit.Count, value=1)
    else:
        state = live.timeline.conversation(conn, str(conversation_id))
    live.connections.subscribe(conn, state)
    live.notifier.reply(
        conn.connection_id,
        {
            "type": "conversation",
            **request_id(data),
            "conversation": payloads.snapshot(state, "customer"),
            "agents_available": live.connections.agents_available(conn.tenant),
        },
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
