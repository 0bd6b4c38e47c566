"""`send` and `note`: store a message (a note reaches agents only); a resend with the same
`client_id` answers `sent-again` and never stores twice."""

from __future__ import annotations

from chalicelib.contract.actions import Note, Send
from chalicelib.contract.events import AckEvent
from chalicelib.live.actions.start import begin
from chalicelib.live.context import Live
from chalicelib.live.events import ConversationReopened, CustomerReplied
from chalicelib.platform.clock import iso
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.models import Connection
from chalicelib.store.ports import ConversationState, NewEntry


def send(live: Live, conn: Connection, action: Send | Note) -> None:
    kind = "note" if isinstance(action, Note) else "text"
    entry = NewEntry(kind, conn.role, conn.user_id, conn.name, action.text, action.client_id)
    state, msg, stored_now = live.timeline.append(conn, action.conversation_id, entry)
    live.notifier.reply(
        conn.connection_id,
        AckEvent(
            action=action.name,
            request_id=action.request_id,
            conversation_id=state.conversation_id,
            client_id=entry.client_id,
            seq=int(msg.seq),
            status="sent" if stored_now else "sent-again",
            created_at=iso(float(msg.created_at)),
        ),
    )
    # A resend may follow a crash between storing and telling: tell again (receivers dedupe by seq).
    live.notifier.message(state, msg, conn.connection_id)
    if stored_now:
        metrics.add_metric(name="MessagesStored", unit=MetricUnit.Count, value=1)
        if conn.role == "customer":
            _customer_wrote(live, conn, state)


def _customer_wrote(live: Live, conn: Connection, state: ConversationState) -> None:
    meta = state.meta
    live.listeners.publish(
        CustomerReplied(
            conn.tenant,
            state.conversation_id,
            conn.user_id,
            conn.name,
            str(meta.waiting_ticket_id) if meta.waiting_ticket_id else None,
        )
    )
    if meta.status == "new":
        begin(live, state)  # the first thing the customer said: the conversation starts now
        return
    if meta.status == "closed" and live.timeline.store.reopen_conversation(meta, live.clock.now()):
        live.notifier.conversation(conn, state, to_lobby=True)
        live.listeners.publish(ConversationReopened(conn.tenant, state.conversation_id))
    if meta.owner_id is None and state.spoke_last_before != "customer":
        # Nobody owns this thread and it just started waiting: every agent of the tenant
        # must see it. Further customer lines while it waits reach its subscribers only.
        live.notifier.conversation(conn, state, to_lobby=True)
