"""Notes leave no trace in the customers' numbering, and a server that goes back in time tells
its clients (issue 9, items 3 and 5), over real WebSockets on the local stack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Tables
from tests.e2e.peers import new_client_id

pytestmark = pytest.mark.e2e


def test_customers_count_no_notes_and_receipts_work_in_both_numberings(chat: dict[str, Any]) -> None:
    # 1: the customer's first line (it started the chat), 2: the agent's take line.
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    first = customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hi")
    assert first["seq"] == 3
    agent.expect("message", seq=3)
    for n in range(3):  # three notes the customer must not be able to count
        agent.request("ack", action="note", conversation_id=conv, client_id=new_client_id(), text=f"note {n}")
    reply = agent.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text="Hello!")
    assert reply["seq"] == 7  # the agent's numbering: every entry
    seen = customer.expect("message", text="Hello!")
    assert (seen["seq"], seen["prev_seq"]) == (4, 3)  # the customer's: no hole where the notes are
    sync = customer.request("sync", action="sync", conversation_id=conv, since=0)
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 3, 4] and sync["through"] == 4
    assert sync["conversation"]["last_seq"] == 4 and all(m["kind"] != "note" for m in sync["messages"])

    customer.send(action="read", conversation_id=conv, seq=4)
    assert agent.expect("read")["seq"] == 7  # the agent hears it in the full sequence
    agent.send(action="read", conversation_id=conv, seq=5)  # up to the first note
    assert customer.expect("read")["seq"] == 3  # the customer hears: up to their own message
    assert [e for e in customer.drain(0.3) if e["type"] == "error"] == []


def test_a_server_that_went_back_in_time_tells_every_client_to_rebuild(chat: dict[str, Any], tables: Tables) -> None:
    customer, agent, conv = chat["customer"], chat["agent"], chat["conversation_id"]
    for n in range(5):  # 3..7 (1: the customer's first line, 2: the agent's take line)
        customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text=f"c{n}")
    last = agent.request("ack", action="send", conversation_id=conv, client_id="agent-last", text="a0")  # 8
    assert last["seq"] == 8
    customer.drain(0.3)
    agent.drain(0.3)

    tables.restore_to(conv, keep=5)  # the agent holds 8, the customer 8 (public = internal here)

    # A client ahead of the server: its sync says so, and the page starts again from 0.
    stale = agent.request("sync", action="sync", conversation_id=conv, since=8, anchor="agent-last")
    assert stale["reset"] is True and stale["since"] == 0
    assert [m["seq"] for m in stale["messages"]] == [1, 2, 3, 4, 5] and stale["through"] == 5
    # The server moves past the client's number again: its anchor (what it holds there) tells.
    for n in range(4):  # 6..9 after the restore
        customer.request("ack", action="send", conversation_id=conv, client_id=new_client_id(), text=f"new {n}")
    live = [e for e in agent.drain(0.5) if e["type"] == "message"]
    assert [e["seq"] for e in live] == [6, 7, 8, 9]  # numbers the agent already held, other entries
    moved_on = agent.request("sync", action="sync", conversation_id=conv, since=8, anchor="agent-last")
    assert moved_on["reset"] is True and [m["seq"] for m in moved_on["messages"]] == list(range(1, 10))
    # A client whose view is the server's is not reset.
    same = agent.request("sync", action="sync", conversation_id=conv, since=9, anchor=live[-1]["client_id"])
    assert "reset" not in same and same["messages"] == [] and same["through"] == 9
    # Nothing the restore kept is duplicated, and the numbering has no hole.
    stored = tables.messages(conv)
    assert [m["seq"] for m in stored] == list(range(1, 10))
    assert len({m["client_id"] for m in stored}) == 9
