"""`join`: an agent joins a conversation of the tenant: as its owner when it has none (or when
taking it over), else as a helper."""

from __future__ import annotations

from chalicelib.contract.actions import Join
from chalicelib.contract.events import ConversationEvent
from chalicelib.live import payloads
from chalicelib.live.context import Live
from chalicelib.store import keys
from chalicelib.store.models import Connection, Participant
from chalicelib.store.ports import ConversationState, NewEntry


def join(live: Live, conn: Connection, action: Join) -> None:
    conversation_id = action.conversation_id
    wants_owner = action.role == "owner"
    state = live.timeline.conversation(conn, conversation_id)
    me = state.participants.get(conn.user_id)
    becomes_owner = state.meta.owner_id is None or (wants_owner and state.meta.owner_id != conn.user_id)
    changed = me is None or becomes_owner
    if changed:
        verb = "joined" if me is None else "took over"
        line = NewEntry(
            "system", "system", "hub", "Hub", f"{conn.name} {verb} the conversation", f"join-{keys.new_customer_id()}"
        )

        def prepare(current: ConversationState) -> tuple[tuple[str, str] | None, Participant | None]:
            # Decided again on every retry: another agent may have taken ownership meanwhile.
            owner_now = current.meta.owner_id is None or (wants_owner and current.meta.owner_id != conn.user_id)
            new_owner = (conn.user_id, conn.name) if owner_now else None
            if conn.user_id in current.participants:
                return new_owner, None
            participant = Participant(
                current.meta.pk,
                keys.participant_sk(conn.user_id),
                role="agent",
                user_id=conn.user_id,
                name=conn.name,
                agent_role="owner" if owner_now else "helper",
                delivered_seq=0,
                read_seq=0,
                joined_at=live.clock.now(),
            )
            return new_owner, participant

        state, msg, _ = live.timeline.append(conn, conversation_id, line, prepare)
        state = live.timeline.conversation(conn, conversation_id)  # owner and roles as stored
        live.connections.subscribe(conn, state)
        live.notifier.message(state, msg, conn.connection_id)
    else:
        live.connections.subscribe(conn, state)
    live.notifier.reply(
        conn.connection_id,
        ConversationEvent(conversation=payloads.snapshot(state, "agent"), request_id=action.request_id),
    )
    if changed:
        live.notifier.conversation(conn, state, to_lobby=True)
