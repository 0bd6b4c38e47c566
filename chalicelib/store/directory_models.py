"""PynamoDB models of the directory table: who each customer is, and the search index that finds
customers by name or e-mail without a Scan.

| item             | pk                                         | sk                          |
| ---------------- | ------------------------------------------ | --------------------------- |
| CustomerProfile  | `T#<tenant>#CU#<customer id>`              | `PROFILE`                   |
| SearchTerm       | `T#<tenant>#S#<field>#<first 2 characters>` | `<term>#<customer id>`     |

A profile holds what the widget passed on the customer's last visit (name, e-mail, page,
locale, user agent), whether the identity was verified (HMAC, `work/customers.py`) and the
customer's latest conversation. Search terms are the normalized words of the name (each word)
and the e-mail address, written when they change and removed when they no longer apply; a term
partition holds the terms of one field starting with the same two characters.

Access patterns (no Scan):
- AP-U1: Get (`T#<tenant>#CU#<id>`, `PROFILE`) → the customer panel, the session's identity.
- AP-U2: Query `T#<tenant>#S#<field>#<ab>`, `sk begins_with <query>` → customers whose name
  word or e-mail starts with the query (at least two characters), limited.

Phone numbers, conversation, ticket and callback ids are found through their own tables
(callbacks by phone: `Callback.by_phone`; ids: a Get on the item's key). Key formats are in
`keys.py`.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.models import Model

from chalicelib.store.models import ModelMeta


class DirectoryItem(Model):
    class Meta(ModelMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")


class CustomerProfile(DirectoryItem, discriminator="customer"):
    tenant = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    verified = BooleanAttribute(default=False)
    # The tenant's own user id, for a verified customer only.
    external_id = UnicodeAttribute(null=True)
    page_url = UnicodeAttribute(null=True)
    page_title = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    first_seen = NumberAttribute()
    last_seen = NumberAttribute()
    last_conversation_id = UnicodeAttribute(null=True)
    # The search terms written for this profile ("<field>:<term>"), so a change removes the old ones.
    terms = UnicodeSetAttribute(null=True)
    # Moves on every change of name, e-mail or verification: concurrent sessions of one customer
    # write their terms conditioned on it (the latest conversation is set apart and never races).
    revision = NumberAttribute(default=0)


class SearchTerm(DirectoryItem, discriminator="term"):
    tenant = UnicodeAttribute()
    field = UnicodeAttribute()  # "name" | "email"
    term = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    verified = BooleanAttribute(default=False)
