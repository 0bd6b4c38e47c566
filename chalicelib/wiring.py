"""The composition root: builds the whole hub once per Lambda container, and says who listens to
which live-lane event.

`hub()` is what the handlers use. `build()` takes every dependency explicitly (settings,
clock, sender, verifiers, stores), so the local stack, the tests and the benchmarks build the
hub exactly as production does, with their own sender, clock or in-memory stores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

from msgspec import Struct

from chalicelib.hub.availability import Availability
from chalicelib.hub.command import SupportCommand
from chalicelib.hub.counters import Counters
from chalicelib.hub.drift import DriftSweep
from chalicelib.hub.mode import Mode
from chalicelib.hub.opening import Opening
from chalicelib.hub.settings import TeamSettings
from chalicelib.live.events import (
    ConversationClosed,
    ConversationReopened,
    ConversationStarted,
    CustomerReplied,
    DeliveryFailed,
    Listeners,
    NoteAdded,
    OwnerChanged,
    PresenceChanged,
)
from chalicelib.live.lane import LiveLane
from chalicelib.live.presence import REASSIGN_GRACE_SECONDS, PresenceRule
from chalicelib.live.widgets import Widgets
from chalicelib.platform.auth import AgentVerifier, WidgetTokens
from chalicelib.platform.clock import Clock, SystemClock
from chalicelib.platform.config import Settings, settings
from chalicelib.platform.limits import LimitSettings, RateLimits, WindowStore
from chalicelib.platform.sender import Sender
from chalicelib.store.connections import DynamoConnectionStore
from chalicelib.store.conversations import DynamoConversationStore
from chalicelib.store.desk import DynamoDeskStore
from chalicelib.store.directory import DynamoDirectoryStore
from chalicelib.store.hub import DynamoHubStore
from chalicelib.store.limits import DynamoLimitStore
from chalicelib.store.ports import (
    ConnectionStore,
    ConversationStore,
    DeskStore,
    DirectoryStore,
    HubStore,
    TenantStore,
    WorkStore,
)
from chalicelib.store.tables import bind_tables
from chalicelib.store.tenants import DynamoTenantStore
from chalicelib.store.work import DynamoWorkStore
from chalicelib.work.callbacks import Callbacks
from chalicelib.work.canned import CannedReplies
from chalicelib.work.csat import Csat
from chalicelib.work.customers import CustomerPanel
from chalicelib.work.mentions import Mentions
from chalicelib.work.routing import Routing
from chalicelib.work.search import Search
from chalicelib.work.tickets import Tickets

T = TypeVar("T")


class Stores(Struct, frozen=True):
    """One store per lane, each behind its port (`store/ports.py`)."""

    connections: ConnectionStore
    conversations: ConversationStore
    tenants: TenantStore
    work: WorkStore
    hub: HubStore
    limits: WindowStore
    desk: DeskStore
    directory: DirectoryStore

    @classmethod
    def dynamo(cls, region: str) -> Stores:
        return cls(
            DynamoConnectionStore(region),
            DynamoConversationStore(region),
            DynamoTenantStore(consistent_reads=False),
            DynamoWorkStore(region),
            DynamoHubStore(),
            DynamoLimitStore(),
            DynamoDeskStore(region),
            DynamoDirectoryStore(region),
        )


class Hub(Struct, frozen=True):
    settings: Settings
    clock: Clock
    rule: PresenceRule
    listeners: Listeners
    agents: AgentVerifier
    widget_tokens: WidgetTokens
    live: LiveLane
    widgets: Widgets
    callbacks: Callbacks
    tickets: Tickets
    counters: Counters
    command: SupportCommand
    mode: Mode
    drift: DriftSweep
    routing: Routing
    availability: Availability
    team: TeamSettings
    limits: RateLimits
    # The agent's day (issue 11).
    opening: Opening
    canned: CannedReplies
    csat: Csat
    customers: CustomerPanel
    search: Search
    mentions: Mentions


def build(
    settings: Settings,
    clock: Clock,
    sender: Sender,
    agents: AgentVerifier,
    widget_tokens: WidgetTokens,
    stores: Stores,
    limit_settings: LimitSettings | None = None,
    counters_stream: bool = False,
) -> Hub:
    """`counters_stream`: the counters table's stream pushes the counters (as deployed and on the
    local stack, `handlers/streams.py`); without it every change pushes them at once."""
    listeners = Listeners()
    # The one presence rule (`live/presence.py`): widget, counters, launch check and routing.
    rule = PresenceRule(settings.presence_window, REASSIGN_GRACE_SECONDS)
    limits = RateLimits(limit_settings or LimitSettings(), stores.limits, clock)
    live = LiveLane(
        stores.connections,
        stores.conversations,
        sender,
        clock,
        settings,
        agents,
        widget_tokens,
        listeners,
        limits,
        rule,
    )
    team = TeamSettings(stores.hub, stores.connections, clock)
    # The business hours, read in the tenant's one time zone (`Tenant.time_zone`, a team setting).
    opening = Opening(stores.desk, stores.tenants, team, clock)
    counters = Counters(stores.hub, live, clock, rule, team=opening.team, pushed_by_stream=counters_stream)
    tickets = Tickets(stores.work, live, clock, counters.changed)
    csat = Csat(stores.desk, stores.work, live, opening, clock)
    command = SupportCommand(stores.hub, counters, clock, rule, calendar=opening.calendar, csat=csat.last_days)
    availability = Availability(stores.hub, live, clock, rule, team=opening.team)
    live.use_availability(availability.current)
    # New hours may open or close the team now: widgets hear a flipped offer, dashboards the team.
    opening.changed += [availability.check, counters.push]
    routing = Routing(stores.hub, live, clock, rule)
    customers = CustomerPanel(stores.directory, clock)
    mentions = Mentions(stores.hub, live)
    hub = Hub(
        settings=settings,
        clock=clock,
        rule=rule,
        listeners=listeners,
        agents=agents,
        widget_tokens=widget_tokens,
        live=live,
        widgets=Widgets(stores.tenants, widget_tokens, clock, limits, stores.desk, stores.directory),
        callbacks=Callbacks(stores.work, live, clock, counters.changed, calendar=opening.calendar),
        tickets=tickets,
        counters=counters,
        command=command,
        mode=Mode(stores.hub, command, live, clock, availability.check),
        drift=DriftSweep(stores.hub, live, clock, rule, availability.check),
        routing=routing,
        availability=availability,
        team=team,
        limits=limits,
        opening=opening,
        canned=CannedReplies(stores.desk, clock),
        csat=csat,
        customers=customers,
        search=Search(stores.directory, stores.work, clock),
        mentions=mentions,
    )
    subscribe_work_lanes(listeners, counters, tickets, routing, availability, customers, mentions)
    return hub


def subscribe_work_lanes(
    listeners: Listeners,
    counters: Counters,
    tickets: Tickets,
    routing: Routing,
    availability: Availability,
    customers: CustomerPanel,
    mentions: Mentions,
) -> None:
    """Who reacts to which live-lane event — the one place to read it.

    - a conversation started, closed or reopened, or an agent's presence changed: the counters
      (active chats, agents available) reach the tenant's dashboards (`Counters.changed`: from
      the counters stream, coalesced, when the hub has one);
    - a conversation started: routing assigns it or queues it; reopened: back to its owner if
      they are still here, else routed;
    - a conversation closed or changed owner, or an agent became available: routing gives the
      freed places to the queue (and tells waiting customers their place);
    - an agent's presence changed: the widgets are told if "someone can answer" flipped;
    - a conversation started: the customer's profile points at it (search opens it);
    - a delivery failed: the failure window the launch check reads grows;
    - a customer replied: the ticket waiting on them reopens;
    - a note was added: the agents it mentions hear about it, wherever they are.
    """

    def push_counters(event: ConversationStarted | ConversationClosed | ConversationReopened) -> None:
        counters.changed(event.tenant)

    def count_available(event: PresenceChanged) -> None:
        counters.presence_changed(event.tenant, event.agents_available)

    def count_failed_deliveries(event: DeliveryFailed) -> None:
        counters.record_delivery_failures(event.tenant, event.failed)

    # Routing first: its assignment (or queueing) is the new chat's announcement to the agents
    # (`begin`), which they then get before the counters that count it.
    listeners.subscribe(ConversationStarted, routing.conversation_started)
    listeners.subscribe(ConversationStarted, push_counters)
    listeners.subscribe(ConversationClosed, push_counters)
    listeners.subscribe(ConversationReopened, push_counters)
    listeners.subscribe(PresenceChanged, count_available)
    listeners.subscribe(DeliveryFailed, count_failed_deliveries)
    listeners.subscribe(CustomerReplied, tickets.customer_replied)
    listeners.subscribe(ConversationReopened, routing.conversation_reopened)
    listeners.subscribe(ConversationClosed, routing.place_freed)
    listeners.subscribe(OwnerChanged, routing.place_freed)
    listeners.subscribe(PresenceChanged, routing.presence_changed)

    def widgets_follow(event: PresenceChanged) -> None:
        availability.check(event.tenant)

    listeners.subscribe(PresenceChanged, widgets_follow)
    listeners.subscribe(ConversationStarted, customers.conversation_started)
    listeners.subscribe(NoteAdded, mentions.note_added)


def from_env() -> Hub:
    """The hub as deployed: settings and table names from the environment, DynamoDB stores."""
    bind_tables()
    cfg = settings()
    clock = SystemClock()
    return build(
        cfg,
        clock,
        Sender(cfg.ws_management_endpoint, cfg.region),
        AgentVerifier(cfg, clock),
        WidgetTokens(cfg, clock),
        Stores.dynamo(cfg.region),
        LimitSettings.from_env(os.environ.get("HUB_LIMITS")),
        counters_stream=True,
    )


# Built once per container. lru_cache is not a lock: the local stack runs handlers on threads,
# so the first build is guarded (on Lambda a container runs one invocation at a time anyway).
_BUILD = threading.RLock()


def _once(build: Callable[[], T]) -> Callable[[], T]:
    cached = lru_cache(maxsize=1)(build)

    @wraps(build)
    def get() -> T:
        if cached.cache_info().currsize:
            return cached()
        with _BUILD:
            return cached()

    get.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return get


hub = _once(from_env)
