"""Conversations (META, participants, subscriptions, keys; AP-V…) and messages (AP-M…)."""

from __future__ import annotations

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.models.meta import ModelMeta


# --------------------------------------------------------------------------- conversations
class ConversationsByActivity(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V4: a tenant's conversations, most recent activity first (sparse: META items only)."""

    class Meta:
        index_name = "by_tenant_activity"
        projection = AllProjection()

    gsi_tenant = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class TypingNow(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V6: participants whose typing indicator is on, oldest first (sparse: `typing_tenant`
    exists only while typing), so the drift sweep reads live indicators only."""

    class Meta:
        index_name = "typing_by_tenant"
        # PynamoDB filters a discriminated table's reads on `type`, so it must be projected.
        projection = IncludeProjection(["type"])

    typing_tenant = UnicodeAttribute(hash_key=True)
    typing_at = NumberAttribute(range_key=True)


class ConversationItem(Model):
    """One partition per conversation (`pk = T#<tenant>#C#<id>`), holding:

    - `META`           the conversation itself and its sequence counter,
    - `P#<user>`       its participants with their delivered/read cursors,
    - `S#<connection>` the live connections subscribed to it (TTL),
    - `K#<author>#<client id>` one idempotency key per stored message.

    AP-V1: Query `pk`, `sk >= "META"` → conversation, participants and live
    subscriptions in one call (authorization, sequence and recipients of a send).
    AP-V2: Get `K#…` → the sequence an earlier send with that client id got.
    AP-V3: Get `P#…` / `META` by key.
    """

    class Meta(ModelMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    expires_at = TTLAttribute(null=True)
    # Participants only (declared here so the index belongs to the whole table).
    typing_tenant = UnicodeAttribute(null=True)
    typing_at = NumberAttribute(null=True)

    typing_by_tenant = TypingNow()


class ActiveConversations(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V5: a tenant's open conversations only (sparse: `active_tenant` is removed on close).
    Counters and the next move read open work here, never history."""

    class Meta:
        index_name = "active_by_tenant"
        projection = AllProjection()

    active_tenant = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class QueuedConversations(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V7: a tenant's conversations waiting for an agent, in arrival order (sparse:
    `queue_tenant` exists only while the conversation waits in the queue). A customer's place
    is a count of this index below their `queued_at`; routing reads its head."""

    class Meta:
        index_name = "queue_by_tenant"
        # PynamoDB filters a discriminated table's reads on `type`, so it must be projected.
        projection = IncludeProjection(["type", "conversation_id", "customer_id"])

    queue_tenant = UnicodeAttribute(hash_key=True)
    queued_at = NumberAttribute(range_key=True)


class ConversationsByCustomer(GlobalSecondaryIndex["ConversationItem"]):
    """AP-V8: one customer's conversations, newest first (sparse: started conversations only) —
    the customer panel, and a verified customer's thread on a second device."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class ConversationMeta(ConversationItem, discriminator="meta"):
    """The conversation. `status` is "new" (the customer opened the widget but has neither
    written nor asked for a callback: invisible to agents and counters), "open" or "closed".
    `owner_id` is the agent handling it (`live/ownership.py`), `queued_at` when it waits for one."""

    tenant = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    gsi_tenant = UnicodeAttribute(null=True)  # set once the conversation starts (sparse AP-V4)
    status = UnicodeAttribute(default="open")  # new | open | closed
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    owner_name = UnicodeAttribute(null=True)
    # Two numberings (see Message): `last_seq` counts every entry, `last_pseq` the public ones
    # (what customers see).
    last_seq = NumberAttribute(default=0)
    last_pseq = NumberAttribute(default=0)
    # Set by a writer that lost a race on the sequence: until then, writers allocate their
    # number with an atomic counter instead of a compare-and-set (see Timeline.append).
    contended_until = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    preview_text = UnicodeAttribute(null=True)
    preview_role = UnicodeAttribute(null=True)
    preview_at = NumberAttribute(null=True)
    active_tenant = UnicodeAttribute(null=True)
    closed_at = NumberAttribute(null=True)
    # The linked ticket waiting on this customer: their next message reopens it.
    waiting_ticket_id = UnicodeAttribute(null=True)
    started_at = NumberAttribute(null=True)  # the customer's first message or callback request
    assigned_at = NumberAttribute(null=True)  # when the current owner got it
    queue_tenant = UnicodeAttribute(null=True)
    queued_at = NumberAttribute(null=True)
    # `T#<tenant>#CU#<customer>`, set by the store when the conversation starts (AP-V8).
    customer_key = UnicodeAttribute(null=True)
    # The customer's rating once the conversation closed (at most one: `work/csat.py`).
    csat_rating = NumberAttribute(null=True)
    csat_comment = UnicodeAttribute(null=True)
    csat_at = NumberAttribute(null=True)

    by_tenant_activity = ConversationsByActivity()
    active_by_tenant = ActiveConversations()
    queue_by_tenant = QueuedConversations()
    by_customer = ConversationsByCustomer()


class Participant(ConversationItem, discriminator="participant"):
    role = UnicodeAttribute()  # "customer" | "agent"
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    agent_role = UnicodeAttribute(null=True)  # "owner" | "helper"
    # Cursors in both numberings: internal (agents see it) and public (customers see it).
    delivered_seq = NumberAttribute(default=0)
    read_seq = NumberAttribute(default=0)
    delivered_pseq = NumberAttribute(default=0)
    read_pseq = NumberAttribute(default=0)
    joined_at = NumberAttribute()


class Subscription(ConversationItem, discriminator="subscription"):
    connection_id = UnicodeAttribute()
    role = UnicodeAttribute()
    user_id = UnicodeAttribute()


class ClientKey(ConversationItem, discriminator="client_key"):
    """What a resend needs to answer without reading the message: its numbers and time."""

    seq = NumberAttribute()
    text_hash = UnicodeAttribute()
    pseq = NumberAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)


# --------------------------------------------------------------------------- messages
class MessagesByPublicSeq(LocalSecondaryIndex["Message"]):
    """AP-M2: a conversation's public entries by their public number (sparse: notes have no
    `pseq`), read consistently → a customer's sync and receipts, in their own numbering."""

    class Meta:
        index_name = "by_public_seq"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    pseq = NumberAttribute(range_key=True)


class Message(Model):
    """Timeline entries of a conversation, keyed by their sequence.

    Two numberings, both gapless: `seq` numbers every entry (agents see it); `pseq` numbers
    the public entries only (customers see it, so they never learn a note existed). `pfloor`
    is the public count at this entry (its own `pseq`, or for a note the last one before it).
    A `void` entry fills a number whose writer died (readers skip it; see Timeline.sync).

    AP-M1: Query `pk`, `seq > N` ascending, paged → an agent's sync / thread recovery.
    AP-M2: Query `by_public_seq`, `pseq > N` → a customer's sync.
    """

    class Meta(ModelMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    conversation_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "text" | "note" | "system" | "void"
    author_role = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    text = UnicodeAttribute()
    client_id = UnicodeAttribute()
    created_at = NumberAttribute()
    pseq = NumberAttribute(null=True)
    pfloor = NumberAttribute(default=0)
    # System lines: what happened as a code and its parameters, so each client words it in its
    # own language (`live/lines.py`); `text` is the English wording.
    code = UnicodeAttribute(null=True)
    params = UnicodeAttribute(null=True)  # a JSON object of strings

    by_public_seq = MessagesByPublicSeq()

    @property
    def public(self) -> bool:
        return self.pseq is not None
