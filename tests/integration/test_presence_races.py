"""Two writes of one agent's presence racing (two tabs changing status, a heartbeat and a
change): every dashboard of the tenant ends on the status the hub stored last (moto in-process,
the whole hub as wired).

Each frame runs in its own Lambda invocation, so two changes are stored in some order and their
`presence` events are posted in some order, not always the same one. Each event carries the
agent's presence version; a dashboard keeps the highest it heard (`heardPresence` in
frontend/src/agent/store/state.ts, the rule `shown` applies here). Each race is forced at the
point where it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.store.models import AgentPresence
from tests.integration.conftest import Harness


def shown(events: list[dict[str, Any]], agent_id: str) -> str | None:
    """The status a dashboard shows for `agent_id` after these events, in the order they came:
    an event counts unless it is older (a lower version) than one already heard."""
    status, held = None, -1
    for e in events:
        if e["type"] == "presence" and e["agent"]["id"] == agent_id and e.get("version", 0) >= held:
            status, held = e["status"], e.get("version", 0)
    return status


def heard(hub: Harness, connection_id: str, since: int) -> list[dict[str, Any]]:
    """The `presence` events a connection received since `since` (an index of the sender's log)."""
    return [e for cid, e in hub.sender.log[since:] if cid == connection_id and e["type"] == "presence"]


def stored(hub: Harness, agent_id: str) -> AgentPresence:
    presence = hub.lane.connections.store.get_presence("global", agent_id)
    assert presence is not None
    return presence


def agent_id_of(hub: Harness, connection_id: str) -> str:
    conn = hub.lane.connections.store.get_connection(connection_id, hub.clock.now())
    assert conn is not None
    return str(conn.user_id)


def before_first_presence_post(hub: Harness, race: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first `presence` event about to be posted waits while `race` runs to its end."""
    real = hub.sender._post_bytes
    fired: list[bool] = []

    def wrapped(connection_id: str, data: bytes) -> bool:
        if not fired and b'"type":"presence"' in data:
            fired.append(True)
            race()
        return real(connection_id, data)

    monkeypatch.setattr(hub.sender, "_post_bytes", wrapped)


def after_first_presence_read(hub: Harness, race: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first read of an agent's presence returns only after `race` has run to its end."""
    store = hub.lane.connections.store
    real = store.get_presence
    fired: list[bool] = []

    def wrapped(tenant: str, agent_id: str) -> AgentPresence | None:
        found = real(tenant, agent_id)
        if not fired:
            fired.append(True)
            race()
        return found

    monkeypatch.setattr(store, "get_presence", wrapped)


def test_two_tabs_changing_status_at_once_end_on_the_status_the_hub_kept(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tab 1 stores "away"; before its event goes out, tab 2 stores "busy" and posts its event.
    Tab 1's event arrives last everywhere: a dashboard that showed the last event it heard kept
    "away" while the hub held "busy" (and routing treated Ana as busy)."""
    tab1, tab2, colleague = hub.connect_agent("ana"), hub.connect_agent("ana"), hub.connect_agent("bo")
    ana = agent_id_of(hub, tab1)
    since = len(hub.sender.log)

    before_first_presence_post(hub, lambda: hub.act(tab2, action="presence", status="busy"), monkeypatch)
    hub.act(tab1, action="presence", status="away")

    kept = stored(hub, ana)
    assert kept.status == "busy"  # tab 2 wrote last
    for cid in (tab1, tab2, colleague):
        events = heard(hub, cid, since)
        assert [e["status"] for e in events] == ["busy", "away"], cid  # the older change's event came last
        assert shown(events, ana) == "busy", cid
        assert max(e["version"] for e in events) == int(kept.version or 0)


def test_a_change_read_before_another_tabs_write_gets_the_higher_version(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both tabs read Ana's presence before either writes: a version computed from what each read
    would be the same for both. Each event tells what the hub stored after its own write, read
    back, so the later write's event has the higher version."""
    tab1, tab2 = hub.connect_agent("ana"), hub.connect_agent("ana")
    ana = agent_id_of(hub, tab1)
    start = int(stored(hub, ana).version or 0)
    since = len(hub.sender.log)

    # Tab 2 reads, writes and posts in between tab 1's read and its write.
    after_first_presence_read(hub, lambda: hub.act(tab2, action="presence", status="busy"), monkeypatch)
    hub.act(tab1, action="presence", status="away")

    kept = stored(hub, ana)
    assert (kept.status, int(kept.version or 0)) == ("away", start + 2)  # tab 1 wrote last
    for cid in (tab1, tab2):
        events = heard(hub, cid, since)
        assert [(e["status"], e["version"]) for e in events] == [("busy", start + 1), ("away", start + 2)]
        assert shown(events, ana) == "away"


def test_a_heartbeat_that_read_before_a_status_change_does_not_put_the_old_status_back(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana's first tab comes back from a network gap (its heartbeat finds her unreachable, so it
    writes the full record) while her second tab goes busy. The heartbeat wrote back the status it
    had read: "available" again, with Ana busy on screen and routing giving her chats."""
    tab1, tab2 = hub.connect_agent("ana"), hub.connect_agent("ana")
    ana = agent_id_of(hub, tab1)
    hub.act(tab1, action="presence", status="available")
    hub.clock.advance(hub.lane.settings.presence_window + 1)  # no heartbeat for a while: unreachable
    since = len(hub.sender.log)

    went_busy: list[bool] = []
    after_first_presence_read(
        hub, lambda: went_busy.append(bool(hub.act(tab2, action="presence", status="busy"))), monkeypatch
    )
    hub.act(tab1, action="heartbeat")

    assert went_busy
    kept = stored(hub, ana)
    assert kept.status == "busy"
    assert hub.lane.connections.reachable(kept)  # the heartbeat itself was recorded
    for cid in (tab1, tab2):
        assert shown(heard(hub, cid, since), ana) == "busy"
