"""Customer satisfaction (CSAT): the customer rates a closed conversation 1-5 with an optional
comment, once; the support command shows the ratings of the last days.

The rating is stored on the conversation and counted in its day (the tenant's time zone) in one
transaction (`store/desk.py`), so a rating is never counted twice nor lost between the two. Only
that conversation's customer may rate it; the same rating sent again is answered as stored
(a retry), a different one is `already_rated`. The support command reads one item per day
(AP-D5), however many ratings there are — never the conversations.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.contract.events import CsatEvent
from chalicelib.contract.views.conversations import CsatView
from chalicelib.contract.views.hub import CsatDay, CsatReport
from chalicelib.hub.opening import Opening
from chalicelib.live import lines
from chalicelib.live.payloads import csat_view
from chalicelib.live.port import LivePort
from chalicelib.platform.auth import Actor
from chalicelib.platform.clock import Clock
from chalicelib.platform.errors import AlreadyRated, InvalidAction, NotClosed, NotFound
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.models import ConversationMeta
from chalicelib.store.ports import DeskStore, WorkStore

MAX_COMMENT = 1000
SCORES = (1, 2, 3, 4, 5)
REPORT_DAYS = 7


def _rating(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
        raise InvalidAction("rating: a whole number from 1 to 5 is expected")
    return value


def _comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise InvalidAction(f"comment: at most {MAX_COMMENT} characters")
    return value.strip() or None


class Csat:
    def __init__(self, desk: DeskStore, work: WorkStore, live: LivePort, opening: Opening, clock: Clock) -> None:
        self.desk = desk
        self.work = work
        self.live = live
        self.opening = opening
        self.clock = clock

    def rate(self, customer: Actor, conversation_id: str, rating: Any, comment: Any = None) -> CsatView:
        score, text = _rating(rating), _comment(comment)
        meta = self._own(customer, conversation_id)
        if meta.csat_rating is None:
            if meta.status != "closed":
                raise NotClosed("a conversation is rated once it is closed")
            now = self.clock.now()
            day = self._day(customer.tenant, now)
            if self.desk.record_rating(customer.tenant, conversation_id, customer.id, score, text, now, day):
                metrics.add_metric(name="CsatRatings", unit=MetricUnit.Count, value=1)
                meta.csat_rating, meta.csat_comment, meta.csat_at = score, text, now
                self._tell(customer, meta)
                view = csat_view(meta)
                assert view is not None
                return view
            meta = self._own(customer, conversation_id)  # rated meanwhile (another tab, a retry)
        if int(meta.csat_rating or 0) != score or (meta.csat_comment or None) != text:
            raise AlreadyRated("this conversation was rated already")
        # The same rating again: a retry of one that was stored (telling again is idempotent).
        self._tell(customer, meta)
        view = csat_view(meta)
        assert view is not None
        return view

    def last_days(self, tenant: str, days: int = REPORT_DAYS) -> CsatReport:
        """Ratings of the last `days` days (today included, the tenant's time zone)."""
        now = self.clock.now()
        today = datetime.fromtimestamp(now, self._zone(tenant)).date()
        span = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
        stored = {str(d.day): d for d in self.desk.csat_days(tenant, span[0], span[-1])}
        per_day = []
        total = score_sum = 0
        scores = dict.fromkeys(SCORES, 0)
        for day in span:
            d = stored.get(day)
            n, s = (int(d.ratings), int(d.score_sum)) if d is not None else (0, 0)
            per_day.append(CsatDay(day, n, round(s / n, 2) if n else None))
            total, score_sum = total + n, score_sum + s
            if d is not None:
                for score in SCORES:
                    scores[score] += int(getattr(d, f"score_{score}") or 0)
        satisfied = scores[4] + scores[5]
        return CsatReport(
            days=days,
            ratings=total,
            average=round(score_sum / total, 2) if total else None,
            # The usual CSAT figure: the share of ratings that are 4 or 5.
            satisfied_percent=round(100 * satisfied / total) if total else None,
            scores={str(k): v for k, v in scores.items()},
            per_day=per_day,
        )

    # ------------------------------------------------------------------ internals
    def _own(self, customer: Actor, conversation_id: str) -> ConversationMeta:
        meta = self.work.conversation(customer.tenant, conversation_id)
        if meta is None or customer.role != "customer" or meta.customer_id != customer.id:
            raise NotFound(f"no conversation {conversation_id!r} for you")
        return meta

    def _zone(self, tenant: str) -> ZoneInfo:
        return ZoneInfo(self.opening.time_zone(tenant))  # the tenant's one time zone

    def _day(self, tenant: str, now: float) -> str:
        return datetime.fromtimestamp(now, self._zone(tenant)).date().isoformat()

    def _tell(self, customer: Actor, meta: ConversationMeta) -> None:
        """The thread shows the rating (one line, whatever the retries) and the dashboards
        update the conversation and the customer panel."""
        rating = int(meta.csat_rating or 0)
        if meta.csat_comment:
            line = lines.line("csat_rated_comment", name=meta.customer_name, rating=rating, comment=meta.csat_comment)
        else:
            line = lines.line("csat_rated", name=meta.customer_name, rating=rating)
        self.live.post_to_thread(customer.tenant, str(meta.conversation_id), line, f"csat-{meta.conversation_id}")
        view = csat_view(meta)
        if view is not None:
            self.live.push_to_agents(customer.tenant, CsatEvent(str(meta.conversation_id), str(meta.customer_id), view))
