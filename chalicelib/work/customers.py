"""The customer panel: who the customer is (verified or not, from their profile), the page they
are on, and their earlier conversations, callbacks and tickets — each read from its own
customer index (AP-U1, AP-V8, AP-B3, AP-K3), newest first, never a Scan.

Also keeps each profile pointing at the customer's newest conversation (a search result opens it).
"""

from __future__ import annotations

from chalicelib.contract.rest.agent_day import CustomerPanel as CustomerPanelView
from chalicelib.contract.views.agent_day import CustomerPage, CustomerProfileView
from chalicelib.contract.views.conversations import ConversationItem
from chalicelib.live import payloads
from chalicelib.live.events import ConversationStarted
from chalicelib.platform.clock import Clock, iso
from chalicelib.platform.errors import NotFound
from chalicelib.store.directory_models import CustomerProfile
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import ConversationState, DirectoryStore
from chalicelib.work.views import callback_view, ticket_view

PANEL_LIMIT = 20


def profile_view(p: CustomerProfile) -> CustomerProfileView:
    return CustomerProfileView(
        id=p.customer_id,
        name=p.name,
        verified=bool(p.verified),
        email=p.email,
        external_id=p.external_id,
        page=CustomerPage(p.page_url, p.page_title) if p.page_url else None,
        locale=p.locale,
        user_agent=p.user_agent,
        first_seen=iso(float(p.first_seen)),
        last_seen=iso(float(p.last_seen)),
        last_conversation_id=p.last_conversation_id,
    )


def conversation_item(meta: ConversationMeta) -> ConversationItem:
    """A conversation in a customer's history, with its rating."""
    snap = payloads.snapshot(ConversationState(meta), "agent")
    return ConversationItem(
        id=snap.id,
        status=snap.status,
        created_at=snap.created_at,
        updated_at=snap.updated_at,
        owner=snap.owner,
        preview=snap.preview,
        csat=snap.csat,
    )


class CustomerPanel:
    def __init__(self, store: DirectoryStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def view(self, tenant: str, customer_id: str) -> CustomerPanelView:
        profile = self.store.get_profile(tenant, customer_id)
        conversations = self.store.customer_conversations(tenant, customer_id, PANEL_LIMIT)
        if profile is None and not conversations:
            raise NotFound(f"no customer {customer_id!r}")
        now = self.clock.now()
        if profile is not None:
            customer = profile_view(profile)
        else:  # a customer from before profiles were kept: what their conversation knows
            customer = CustomerProfileView(customer_id, str(conversations[0].customer_name), verified=False)
        callbacks = self.store.customer_callbacks(tenant, customer_id, PANEL_LIMIT)
        return CustomerPanelView(
            customer=customer,
            conversations=[conversation_item(m) for m in conversations],
            callbacks=[callback_view(cb, now) for cb in callbacks],
            tickets=[ticket_view(t) for t in self.store.customer_tickets(tenant, customer_id, PANEL_LIMIT)],
        )

    def conversation_started(self, event: ConversationStarted) -> None:
        """Listener: the profile points at the customer's newest conversation."""
        if event.customer_id:
            self.store.set_last_conversation(event.tenant, event.customer_id, event.conversation_id)
