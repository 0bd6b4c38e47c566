"""Tickets: the lane a conversation moves into when chat cannot finish the job.

Statuses: open, waiting_internal (with the team or person it waits on), waiting_customer,
solved. Every ticket has an owner; owner changes are recorded. Every change is a history
entry, written in the same transaction as the ticket and its counter deltas. A customer's
reply reopens a ticket that waits on them (the conversation remembers which one).

The agent writes the subject; the customer never sees it. Each ticket gets the tenant's next
running number, and the customer's thread says only that ticket #N was opened.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from chalicelib.contract.events import TicketEvent
from chalicelib.contract.views import HistoryItem
from chalicelib.live import lines
from chalicelib.live.events import CustomerReplied
from chalicelib.live.port import LivePort
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import AlreadyTaken, InvalidAction, NotFound
from chalicelib.store.keys import history_subject
from chalicelib.store.ports import WorkStore, WriteConflict
from chalicelib.store.work import history_entry
from chalicelib.store.work_models import Ticket
from chalicelib.work.views import history_view, ticket_view

STATUSES = ("open", "waiting_internal", "waiting_customer", "solved")
LABELS = {
    "open": "open",
    "waiting_internal": "waiting internal",
    "waiting_customer": "waiting on customer",
    "solved": "solved",
}
MAX_SUBJECT = 200


def _copy(t: Ticket) -> Ticket:
    return Ticket.from_raw_data(t.serialize())


class Tickets:
    def __init__(self, store: WorkStore, live: LivePort, clock: Clock, counters_changed: Callable[[str], None]) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.counters_changed = counters_changed

    def create(
        self,
        actor: Actor,
        subject_text: str,
        conversation_id: str | None,
        owner: tuple[str, str] | None = None,
    ) -> Ticket:
        """From a conversation (its thread stays attached) or standalone; the owner is the
        creating agent unless given."""
        subject_text = subject_text.strip()
        if not subject_text or len(subject_text) > MAX_SUBJECT:
            raise InvalidAction(f"subject: 1 to {MAX_SUBJECT} characters")
        customer_id = customer_name = None
        if conversation_id is not None:
            meta = self.store.conversation(actor.tenant, conversation_id)
            if meta is None:
                raise NotFound(f"no conversation {conversation_id!r}")
            customer_id, customer_name = str(meta.customer_id), str(meta.customer_name)
        owner_id, owner_name = owner or (actor.id, actor.name)
        now = self.clock.now()
        ticket = Ticket(
            actor.tenant,
            "tk_" + secrets.token_urlsafe(9),
            number=self.store.next_ticket_number(actor.tenant),
            subject=subject_text,
            status="open",
            owner_id=owner_id,
            owner_name=owner_name,
            conversation_id=conversation_id,
            customer_id=customer_id,
            customer_name=customer_name,
            created_by=actor.id,
            created_at=now,
            updated_at=now,
            status_at=now,
            open_tenant=actor.tenant,
        )
        self._commit(ticket, None, actor, [("created", f"{actor.name} created the ticket; owner {owner_name}")])
        if conversation_id:  # a neutral line: the number, never the agent's subject
            self.live.post_to_thread(
                actor.tenant,
                conversation_id,
                lines.line("ticket_opened", number=int(ticket.number or 0)),
                f"{ticket.ticket_id}-created",
            )
        return ticket

    def change(
        self,
        actor: Actor,
        ticket_id: str,
        status: str | None = None,
        waiting_on: str | None = None,
        owner: tuple[str, str] | None = None,
    ) -> Ticket:
        before = self._get(actor, ticket_id)
        ticket = _copy(before)
        now = self.clock.now()
        entries: list[tuple[str, str]] = []
        if status is not None:
            if status not in STATUSES:
                raise InvalidAction(f"status: expected one of {', '.join(STATUSES)}")
            if status == "waiting_internal" and not (waiting_on or before.waiting_on):
                raise InvalidAction("waiting_on: say which team or person the ticket waits on")
            if status != before.status:
                ticket.status, ticket.status_at = status, now
                ticket.open_tenant = None if status == "solved" else actor.tenant
                entries.append(("status", f"{LABELS[before.status]} → {LABELS[status]}"))
            if status != "waiting_internal":
                ticket.waiting_on = None
        if (
            waiting_on is not None
            and (status or before.status) == "waiting_internal"
            and waiting_on != before.waiting_on
        ):
            ticket.waiting_on = waiting_on.strip()[:80]
            entries.append(("waiting_on", f"waits on {ticket.waiting_on}"))
        if owner is not None and owner[0] != before.owner_id:
            ticket.owner_id, ticket.owner_name = owner
            entries.append(("owner", f"owner {before.owner_name} → {owner[1]}"))
        if not entries:
            return before
        ticket.updated_at = now
        self._commit(ticket, before, actor, entries)
        self._follow_customer(ticket, before)
        return ticket

    def customer_replied(self, event: CustomerReplied) -> Ticket | None:
        """A reply from the customer reopens a ticket that waits on them (and only then)."""
        if event.waiting_ticket_id is None:
            return None
        tenant, ticket_id = event.tenant, event.waiting_ticket_id
        customer = Actor(tenant, "customer", event.customer_id, event.customer_name)
        before = self.store.get_ticket(tenant, ticket_id)
        if before is None or before.status != "waiting_customer":
            return None
        ticket = _copy(before)
        now = self.clock.now()
        ticket.status, ticket.status_at, ticket.updated_at = "open", now, now
        try:
            self._commit(ticket, before, customer, [("status", "waiting on customer → open (the customer replied)")])
        except AlreadyTaken:
            return None  # changed meanwhile; the other change stands
        self._follow_customer(ticket, before)
        return ticket

    def get(self, actor: Actor, ticket_id: str) -> tuple[Ticket, list[HistoryItem]]:
        ticket = self._get(actor, ticket_id)
        history = history_view(self.store.history(history_subject(actor.tenant, "TK", ticket_id)))
        return ticket, history

    def open(self, tenant: str) -> list[Ticket]:
        return self.store.open_tickets(tenant)

    # ------------------------------------------------------------------ internals
    def _get(self, actor: Actor, ticket_id: str) -> Ticket:
        ticket = self.store.get_ticket(actor.tenant, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id!r}")
        return ticket

    def _commit(self, ticket: Ticket, before: Ticket | None, actor: Actor, entries: list[tuple[str, str]]) -> None:
        now = self.clock.now()
        key = history_subject(ticket.tenant, "TK", ticket.ticket_id)
        history = [history_entry(key, now, action, actor.id, actor.name, detail) for action, detail in entries]
        try:
            self.store.commit(ticket.tenant, ticket, before, now, history)
        except WriteConflict:
            raise AlreadyTaken("the ticket changed meanwhile; reload it") from None
        self.live.push_to_agents(ticket.tenant, TicketEvent(ticket_view(ticket)))
        self.counters_changed(ticket.tenant)

    def _follow_customer(self, ticket: Ticket, before: Ticket) -> None:
        """Keeps the conversation's pointer to the ticket that waits on its customer."""
        if not ticket.conversation_id or ticket.status == before.status:
            return
        if ticket.status == "waiting_customer":
            self.store.set_waiting_ticket(ticket.tenant, ticket.conversation_id, ticket.ticket_id)
        elif before.status == "waiting_customer":
            self.store.set_waiting_ticket(ticket.tenant, ticket.conversation_id, None)
