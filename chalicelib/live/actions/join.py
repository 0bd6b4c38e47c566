"""`join` (help), `take` (take ownership) and `assign` (to a colleague): the explicit ways an
agent comes into a conversation. Reading one (`sync`) is none of them: it changes nothing and
tells the customer nothing."""

from __future__ import annotations

from chalicelib.contract.actions import Assign, Join, Take
from chalicelib.contract.events import ConversationEvent
from chalicelib.live import lines, payloads
from chalicelib.live.context import Live, after_reply
from chalicelib.platform.errors import NotFound
from chalicelib.store import keys
from chalicelib.store.models import Connection, Participant
from chalicelib.store.ports import ConversationState, NewEntry


def join(live: Live, conn: Connection, action: Join) -> None:
    """Helps in a conversation: the agent becomes a helper participant (never its owner)."""
    conversation_id = action.conversation_id
    state = live.timeline.conversation(conn, conversation_id)
    # Subscribed first: a socket whose `$disconnect` overtook this handler is refused here
    # (SessionExpired), before anything is written — no half-join, no "joined" line from nobody.
    live.connections.subscribe(conn, state)
    if conn.user_id in state.participants:
        _answer(live, conn, action, state)
        return
    said = lines.line("agent_joined", name=conn.name)
    entry = NewEntry(
        "system", "system", "hub", "Hub", said.text, f"join-{keys.new_customer_id()}", said.code, said.params_json
    )

    def prepare(current: ConversationState) -> Participant | None:
        if conn.user_id in current.participants:
            return None
        return Participant(
            current.meta.pk,
            keys.participant_sk(conn.user_id),
            role="agent",
            user_id=conn.user_id,
            name=conn.name,
            agent_role="helper",
            joined_at=live.clock.now(),
        )

    state, msg, _ = live.timeline.append(conn, conversation_id, entry, prepare)
    state = live.timeline.conversation(conn, conversation_id)  # roles as stored
    live.notifier.message(state, msg, conn.connection_id)
    _answer(live, conn, action, state)
    with after_reply("join", conn.connection_id):
        live.notifier.conversation(conn, state, to_lobby=True)


def take(live: Live, conn: Connection, action: Take) -> None:
    """Takes ownership. `expect_owner` is the owner the agent saw (absent or null: none); when
    someone else owns it by now the take fails with `conflict`, so two agents taking one chat
    end with one owner. Naming the current owner takes it over from them."""
    _move(live, conn, action, (conn.user_id, conn.name), "takeover" if action.expect_owner else "take")


def assign(live: Live, conn: Connection, action: Assign) -> None:
    """Assigns the conversation to a colleague of the tenant (by agent id), on the same terms as `take`."""
    agent = live.connections.store.get_presence(conn.tenant, action.agent_id)
    if agent is None:
        raise NotFound(f"no agent {action.agent_id!r} in this tenant")
    _move(live, conn, action, (str(agent.agent_id), str(agent.name)), "assign")


def _move(live: Live, conn: Connection, action: Take | Assign, to: tuple[str, str], reason: str) -> None:
    seen = live.timeline.conversation(conn, action.conversation_id)  # not_found unless the agent may see it
    if to[0] == conn.user_id:
        live.connections.subscribe(conn, seen)  # first: a closed socket takes nothing (as in `join`)
    state = live.ownership.change(
        conn.tenant,
        action.conversation_id,
        to,
        action.expect_owner,
        (conn.user_id, conn.name),
        reason,
        changed_by_connection=conn.connection_id,
    )
    _answer(live, conn, action, state)


def _answer(live: Live, conn: Connection, action: Join | Take | Assign, state: ConversationState) -> None:
    live.notifier.reply(
        conn.connection_id,
        ConversationEvent(conversation=payloads.snapshot(state, "agent"), request_id=action.request_id),
    )
