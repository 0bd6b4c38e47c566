"""What the tenant's widgets may offer, and telling them live when it flips.

"Someone can answer" is the presence rule (`live/presence.py`: an agent chose available and
is reachable); the offer follows the mode (`hub/mode_rules.py`). Widgets hear it in the
`start` reply and `GET /widget/availability`, then live as an `availability` event — sent to
the tenant's customer connections only when the offer flips, never on every presence change.
The last offer told is stored (`HubCounters.widget_offer`) and changed by a conditional write,
so when two changes race exactly one of them tells the widgets.

A flip is checked on every presence change (`PresenceChanged`), on a mode change, and by the
drift sweep each minute (an agent whose heartbeats silently stopped is noticed there).
"""

from __future__ import annotations

from chalicelib.contract.events import AvailabilityEvent
from chalicelib.contract.rest import Availability as Offered
from chalicelib.hub.mode_rules import rules_for
from chalicelib.live.port import LivePort
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import MetricUnit, metrics
from chalicelib.store.ports import HubStore


class Availability:
    def __init__(self, store: HubStore, live: LivePort, clock: Clock, rule: PresenceRule) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.rule = rule

    def current(self, tenant_id: str) -> Offered:
        """Whether someone can answer, what the widget offers and the mode, as of now."""
        tenant = self.store.get_tenant(tenant_id)
        rules = rules_for(tenant.mode if tenant else None)
        available = bool(self.rule.available_agents(self.store.tenant_presence(tenant_id), self.clock.now()))
        return Offered(agents_available=available, offer=rules.offer(available), mode=rules.mode)

    def check(self, tenant_id: str) -> bool:
        """Tells the tenant's widgets when the offer flipped since they were last told; True then."""
        now = self.current(tenant_id)
        told = f"{now.offer}:{int(now.agents_available)}"
        if not self.store.set_widget_offer(tenant_id, told):
            return False
        sent = self.live.push_to_customers(tenant_id, AvailabilityEvent(now.agents_available, now.offer, now.mode))
        metrics.add_metric(name="AvailabilityFlips", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="AvailabilityFanout", unit=MetricUnit.Count, value=sent)
        return True
