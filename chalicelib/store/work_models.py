"""PynamoDB models of the work lanes and the hub: callbacks, tickets, counters and history,
each with its access patterns (`AP-…`). No access pattern uses Scan."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.models import ModelMeta


# --------------------------------------------------------------------------- callbacks
class OpenCallbacks(GlobalSecondaryIndex["Callback"]):
    """AP-B2: a tenant's open callbacks (queued or claimed) by due time. Sparse: `open_tenant`
    is removed when a callback closes, so the queue and the escalation job read open work only."""

    class Meta:
        index_name = "open_by_due"
        projection = AllProjection()

    open_tenant = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class CallbacksByCustomer(GlobalSecondaryIndex["Callback"]):
    """AP-B3: one customer's callbacks, newest first (sparse: only callbacks with a customer)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class CallbacksByPhone(GlobalSecondaryIndex["Callback"]):
    """AP-B4: a tenant's callbacks to one E.164 number, newest first (search by phone)."""

    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Callback(Model):
    """A promise to call a customer back. AP-B1: Get (tenant, id)."""

    class Meta(ModelMeta):
        pass

    tenant = UnicodeAttribute(hash_key=True)
    callback_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()  # queued | claimed | completed | failed | cancelled
    source = UnicodeAttribute()  # widget | missed_call
    phone = UnicodeAttribute()  # E.164
    customer_name = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    window = UnicodeAttribute(default="asap")  # asap | morning | afternoon | evening
    # The chosen window read in the tenant's time zone (`work/callback_window.py`): call from
    # `not_before`, due by `due_at`; both fall inside the window.
    not_before = NumberAttribute(null=True)
    priority = UnicodeAttribute(default="normal")  # normal | high (raised when overdue)
    overdue = BooleanAttribute(default=False)
    due_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    max_attempts = NumberAttribute()
    retry_minutes = NumberAttribute()
    claimed_by = UnicodeAttribute(null=True)
    claimed_by_name = UnicodeAttribute(null=True)
    claimed_at = NumberAttribute(null=True)
    last_alert_at = NumberAttribute(default=0)
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()
    updated_at = NumberAttribute()
    closed_at = NumberAttribute(null=True)
    open_tenant = UnicodeAttribute(null=True)
    # Index keys set by the store on every save (AP-B3, AP-B4).
    customer_key = UnicodeAttribute(null=True)
    phone_key = UnicodeAttribute(null=True)
    version = VersionAttribute()

    open_by_due = OpenCallbacks()
    by_customer = CallbacksByCustomer()
    by_phone = CallbacksByPhone()


# --------------------------------------------------------------------------- tickets
class OpenTickets(GlobalSecondaryIndex["Ticket"]):
    """AP-K2: a tenant's unsolved tickets, most recently changed first (sparse)."""

    class Meta:
        index_name = "open_by_update"
        projection = AllProjection()

    open_tenant = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class TicketsByCustomer(GlobalSecondaryIndex["Ticket"]):
    """AP-K3: one customer's tickets, newest first (sparse: tickets from a conversation)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Ticket(Model):
    """AP-K1: Get (tenant, id)."""

    class Meta(ModelMeta):
        pass

    tenant = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)
    # The tenant's running ticket number (`#42`): what the customer is told; the subject is not.
    number = NumberAttribute(null=True)
    subject = UnicodeAttribute()
    status = UnicodeAttribute()  # open | waiting_internal | waiting_customer | solved
    waiting_on = UnicodeAttribute(null=True)  # the team or person a waiting_internal ticket waits on
    owner_id = UnicodeAttribute()
    owner_name = UnicodeAttribute()
    conversation_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    customer_name = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    status_at = NumberAttribute()
    open_tenant = UnicodeAttribute(null=True)
    customer_key = UnicodeAttribute(null=True)  # set by the store on every save (AP-K3)
    version = VersionAttribute()

    open_by_update = OpenTickets()
    by_customer = TicketsByCustomer()


# --------------------------------------------------------------------------- counters & history
class HubCounters(Model):
    """The tenant's hub counters, kept current on every change and repaired by the recompute.
    AP-H1: Get (tenant). Its stream pushes the counters to the dashboards (`handlers/streams.py`)."""

    class Meta(ModelMeta):
        stream_view_type = "NEW_AND_OLD_IMAGES"

    tenant = UnicodeAttribute(hash_key=True)
    open_tickets = NumberAttribute(default=0)
    waiting_internal = NumberAttribute(default=0)
    callback_queued = NumberAttribute(default=0)
    callback_overdue = NumberAttribute(default=0)
    active_chats = NumberAttribute(default=0)
    agents_available = NumberAttribute(default=0)
    updated_at = NumberAttribute(default=0)
    recomputed_at = NumberAttribute(default=0)
    last_drift = NumberAttribute(default=0)
    # Written by the drift sweep: what it found stale on its last run.
    presence_drift = NumberAttribute(default=0)
    typing_drift = NumberAttribute(default=0)
    # Deliveries that failed for another reason than a gone connection, per 5-minute window.
    delivery_failures = NumberAttribute(default=0)
    delivery_window_at = NumberAttribute(default=0)
    # What the tenant's widgets were last told they may offer ("chat" | "callback"): changed only
    # by a conditional write, so of two racing flips exactly one tells the widgets.
    widget_offer = UnicodeAttribute(null=True)
    # The last ticket number handed out (ADD 1 per ticket).
    ticket_seq = NumberAttribute(default=0)


class HistoryEntry(Model):
    """Append-only history of one subject: a ticket, a callback or the tenant's mode.

    `subject = T#<tenant>#<KIND>#<id>`; `at` sorts by time (ISO + a random suffix).
    AP-Y1: Query subject → the subject's history in order.
    """

    class Meta(ModelMeta):
        pass

    subject = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    detail = UnicodeAttribute(default="")


# The model whose schema defines each table (ConversationMeta carries the table's GSI).
