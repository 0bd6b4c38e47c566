"""What the tenant's widgets may offer, and telling them live when it flips.

"Someone can answer" is the presence rule (`live/presence.py`: an agent chose available and
is reachable); the offer follows the mode (`hub/mode_rules.py`) and the business hours
(`hub/opening.py`): outside them the widget offers a message or a callback, never chat, even
while an agent happens to be in. Widgets hear it in the
`start` reply and `GET /widget/availability`, then live as an `availability` event — sent to
the tenant's customer connections only when the offer flips, never on every presence change.
The last offer told is stored (`HubCounters.widget_offer`) and changed by a conditional write,
so when two changes race exactly one of them tells the widgets.

A flip is checked on every presence change (`PresenceChanged`), on a mode change, on a change
of hours, and by the drift sweep each minute (an agent whose heartbeats silently stopped, and the
team opening or closing by the clock, are noticed there).

Checks race each other (two presence changes in two handlers): one may read the presence
before the other's write and still win the later conditional write, so a stale offer would be
the last one told, with nothing left to correct it. So a check that told something reads again
after its push and, while the offer it told is no longer the truth, tells the truth — even when
another check already stored it, since that check's push may have gone out before this stale
one. A widget may then hear the same offer twice in a race; the last offer it hears is current.
The `start` reply carries the offer read at that moment, and is corrected the same way
(`live/actions/start.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.contract.events import AvailabilityEvent
from chalicelib.contract.rest.widget import Availability as Offered
from chalicelib.contract.views.hub import TeamStatus
from chalicelib.hub.mode_rules import rules_for
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.ports import HubStore


class Availability:
    def __init__(
        self,
        store: HubStore,
        live: LivePort,
        clock: Clock,
        rule: PresenceRule,
        team: Callable[[str], TeamStatus],
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule
        self.team = team  # within business hours, and the next opening (`hub/opening.py`)

    def current(self, tenant_id: str) -> Offered:
        """Whether someone can answer, what the widget offers, the mode and the team's hours, as of now."""
        tenant = self.store.get_tenant(tenant_id)
        rules = rules_for(tenant.mode if tenant else None)
        available = bool(self.rule.available_agents(self.store.tenant_presence(tenant_id), self.clock.now()))
        team = self.team(tenant_id)
        return Offered(
            agents_available=available,
            offer=rules.offer(available and team.open),
            mode=rules.mode,
            open=team.open,
            next_open_at=team.next_open_at,
        )

    def check(self, tenant_id: str) -> bool:
        """Tells the tenant's widgets when the offer flipped since they were last told; True then.

        After telling, reads again: while what it told is no longer the truth (a racing change
        it read too early), it tells the truth, so this check never leaves a stale offer last."""
        now = self.current(tenant_id)
        if not self.store.set_widget_offer(tenant_id, _told(now)):
            return False
        self._tell(tenant_id, now)
        for _ in range(MAX_CORRECTIONS):
            after = self.current(tenant_id)
            if _told(after) == _told(now):
                break
            self.store.set_widget_offer(tenant_id, _told(after))  # stored already by a racing check: tell anyway
            self._tell(tenant_id, after)
            now = after
        return True

    def _tell(self, tenant_id: str, offered: Offered) -> None:
        event = AvailabilityEvent(
            offered.agents_available,
            offered.offer,
            offered.mode,
            open=offered.open,
            next_open_at=offered.next_open_at,
        )
        sent = self.live.push_to_customers(tenant_id, event)
        metrics.add_metric(name="AvailabilityFlips", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="AvailabilityFanout", unit=MetricUnit.Count, value=sent)


# A check corrects what it told at most this often; presence changing faster than that is told
# by the checks those changes run themselves.
MAX_CORRECTIONS = 3


def _told(offered: Offered) -> str:
    """What the widgets are told, as stored (`HubCounters.widget_offer`)."""
    return f"{offered.offer}:{int(offered.agents_available)}:{int(offered.open)}"
