"""Rate limits: one fixed window of one limit, counted with a conditional `ADD` (AP-L1)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.models.meta import ModelMeta


class LimitWindow(Model):
    """One fixed window of one rate limit (chalicelib/platform/limits.py).

    AP-L1: UpdateItem `ADD hits 1` on `<scope>#<subject>#<window start>`, conditioned on the
    count being below the limit (one write; never read). Items expire through `expires_at`.
    """

    class Meta(ModelMeta):
        pass

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()
