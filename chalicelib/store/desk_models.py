"""PynamoDB models of the desk table: what a tenant sets up for its agents' day and what it
counts per day — canned replies, business hours, the identity-verification secret, CSAT per day.

One partition per tenant (`tenant`), items told apart by their sort key (`sk`) and `type`:

| item            | sk                      | holds                                                  |
| --------------- | ----------------------- | ------------------------------------------------------ |
| CannedReply     | `CANNED#<reply id>`     | title, shortcut, text with `{customer.name}` / `{agent.name}` |
| ShortcutClaim   | `SHORTCUT#<shortcut>`   | which reply owns a shortcut (unique per tenant)        |
| HoursItem       | `HOURS`                 | weekly hours in the tenant's time zone, holidays       |
| IdentitySecret  | `IDENTITY`              | the identity-verification secret (and the previous one) |
| CsatDay         | `CSAT#<yyyy-mm-dd>`     | ratings of one day (tenant's zone): count, sum, per score |

Access patterns (no Scan):
- AP-D1: Query `tenant`, `sk begins_with CANNED#` → the tenant's canned replies.
- AP-D2: Get (`tenant`, `CANNED#<id>`); create/rename/delete in one transaction with the
  `SHORTCUT#` claims, so two replies never share a shortcut.
- AP-D3: Get (`tenant`, `HOURS`) → the business-hours calendar.
- AP-D4: Get (`tenant`, `IDENTITY`) → the verification secret (never in any API answer).
- AP-D5: Query `tenant`, `sk BETWEEN CSAT#<first day> AND CSAT#<last day>` → CSAT of the last
  days, one item per day however many ratings: the support command never scans ratings.

Key formats are in `keys.py`.
"""

from __future__ import annotations

from pynamodb.attributes import (
    DiscriminatorAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.models import Model

from chalicelib.store.models import ModelMeta


class DeskItem(Model):
    class Meta(ModelMeta):
        pass

    tenant = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")


class CannedReply(DeskItem, discriminator="canned"):
    reply_id = UnicodeAttribute()
    title = UnicodeAttribute()
    shortcut = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class ShortcutClaim(DeskItem, discriminator="shortcut"):
    reply_id = UnicodeAttribute()


class HoursItem(DeskItem, discriminator="hours"):
    # Read in the tenant's one time zone (`Tenant.time_zone`), which is not repeated here.
    # The week as JSON in the wire form of `BusinessHours.to_dict()["weekly"]`.
    weekly = UnicodeAttribute()
    holidays = UnicodeSetAttribute(null=True)
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute()


class IdentitySecret(DeskItem, discriminator="identity"):
    current = UnicodeAttribute()
    # The secret before the last rotation, still accepted until `previous_until`, so a tenant
    # can roll the new one out to its servers without logging its customers out.
    previous = UnicodeAttribute(null=True)
    previous_until = NumberAttribute(null=True)
    rotated_at = NumberAttribute()


class CsatDay(DeskItem, discriminator="csat_day"):
    day = UnicodeAttribute()
    ratings = NumberAttribute(default=0)
    score_sum = NumberAttribute(default=0)
    score_1 = NumberAttribute(default=0)
    score_2 = NumberAttribute(default=0)
    score_3 = NumberAttribute(default=0)
    score_4 = NumberAttribute(default=0)
    score_5 = NumberAttribute(default=0)
