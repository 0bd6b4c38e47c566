"""Assignment races against a moto *server* (one request at a time, as DynamoDB applies each
request atomically), driven from threads: two agents taking one chat end with one owner, and
two chats racing for an agent's last free place cannot both get it.

Each race is forced: every racer reads the conversation, then waits at a barrier until all
have read, and only then writes — the interleaving that breaks a read-then-write. The last two
tests remove one guard each (the owner condition, the capacity condition) and show the same
race then goes wrong: the guards, not the timing, are what the first two tests measure.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform.clock import ManualClock
from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.platform.errors import AlreadyTaken
from chalicelib.store import conversations as conversation_store
from chalicelib.store.keys import history_subject
from chalicelib.store.models import AgentPresence, ConversationMeta
from chalicelib.store.tables import ensure_tables
from chalicelib.store.tenants import ensure_tenant
from chalicelib.store.work_models import HistoryEntry
from chalicelib.wiring import Hub
from local import inprocess
from local.moto_server import MotoProcess
from tests.integration.conftest import WIDGET_KEY, RecordingSender

RACERS = 4
ROUNDS = 3


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = MotoProcess(log_path=Path(tmp_path_factory.mktemp("moto")) / "moto.log")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def hub(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    for var in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.setenv(var, "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    suffix = f"race{time.time_ns()}"  # fresh tables per test on the shared server
    for kind, var in TABLE_ENV_VARS.items():
        monkeypatch.setenv(var, f"{suffix}-{kind}")
    ensure_tables()
    ensure_tenant("global", "Global", WIDGET_KEY)
    built = inprocess.build(RecordingSender(), ManualClock(time.time()), suffix, signing_key="k" * 32)
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server
    return built.hub


def started(hub: Hub, n: int) -> list[str]:
    """n conversations their customers have written in (nobody has a free place: all queued)."""
    hub.team.store.update_tenant("global", {"chat_capacity": 0})
    out = []
    for i in range(n):
        session = hub.widgets.open_session(WIDGET_KEY, None, f"Customer {i}")
        cid = f"cust{i}-{time.time_ns()}="
        hub.live.identify_and_bind(cid, {"session": session.token})
        hub.live.handle(cid, '{"action":"start"}')
        conv = hub.live.notifier.sender.sent[cid][-1]["conversation"]["id"]  # type: ignore[attr-defined]
        hub.live.handle(cid, f'{{"action":"send","conversation_id":"{conv}","client_id":"m","text":"hi"}}')
        out.append(conv)
    return out


def agents(hub: Hub, n: int) -> list[tuple[str, str]]:
    """n agents in the directory, available (fresh heartbeats)."""
    out = []
    now = hub.clock.now()
    for i in range(n):
        agent_id, name = f"agent-{i}", f"Agent {i}"
        hub.live.connections.store.touch_presence("global", agent_id, name, now, "available")
        out.append((agent_id, name))
    return out


def race(hub: Hub, calls: Sequence[Callable[[], object]]) -> list[bool]:
    """Runs the calls at once, each racer's first read of the conversation waiting until every
    racer has read it; True for each call that succeeded, False for each refused."""
    barrier = threading.Barrier(len(calls), timeout=30)
    store = hub.live.timeline.store
    original: Callable[..., Any] = store.load_conversation
    racer = threading.local()

    def load(*args: Any, **kwargs: Any) -> Any:
        state = original(*args, **kwargs)
        if getattr(racer, "racing", False) and not getattr(racer, "read", False):
            racer.read = True
            barrier.wait()
        return state

    def attempt(call: Callable[[], object]) -> bool:
        racer.racing = True
        try:
            call()
        except AlreadyTaken:
            return False
        return True

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store, "load_conversation", load)
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(attempt, calls))


def owner_and_loads(hub: Hub, conv: str, who: list[tuple[str, str]]) -> tuple[str | None, dict[str, int]]:
    meta = ConversationMeta.get(f"T#global#C#{conv}", "META", consistent_read=True)
    loads = {a: int(AgentPresence.get("global", a, consistent_read=True).open_chats) for a, _ in who}
    return meta.owner_id, loads


def take_race(hub: Hub) -> list[tuple[list[bool], str | None, dict[str, int], int]]:
    who = agents(hub, RACERS)
    results = []
    for conv in started(hub, ROUNDS):
        _, before = owner_and_loads(hub, conv, who)
        calls = [partial(hub.live.ownership.change, "global", conv, (a, n), None, (a, n), "take") for a, n in who]
        won = race(hub, calls)
        owner, after = owner_and_loads(hub, conv, who)
        loads = {a: after[a] - before[a] for a in after}  # how each agent's load moved
        records = [h for h in HistoryEntry.query(history_subject("global", "CONV", conv)) if h.action == "take"]
        results.append((won, owner, loads, len(records)))
    return results


def capacity_race(hub: Hub) -> tuple[list[bool], int]:
    [(agent, name)] = agents(hub, 1)
    convs = started(hub, RACERS)
    calls = [
        partial(hub.live.ownership.change, "global", c, (agent, name), None, ("routing", "Routing"), "route", 1)
        for c in convs
    ]
    won = race(hub, calls)
    return won, int(AgentPresence.get("global", agent, consistent_read=True).open_chats)


def test_agents_racing_for_one_chat_end_with_one_owner(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    for won, owner, loads, records in take_race(hub):
        assert won.count(True) == 1, won
        winner = f"agent-{won.index(True)}"
        assert owner == winner
        assert loads == {a: (1 if a == winner else 0) for a in loads}  # only the winner's load moved
        assert records == 1  # one assignment recorded


def test_chats_racing_for_an_agents_last_place_cannot_both_get_it(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    won, load = capacity_race(hub)
    assert won.count(True) == 1 and load == 1


def test_without_the_owner_guard_the_same_race_gives_several_owners(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race above is real: drop the owner condition and every racer 'wins'."""
    monkeypatch.setattr(conversation_store, "_owner_is", lambda _owner: ConversationMeta.pk.exists())
    outcomes = take_race(hub)
    assert any(won.count(True) > 1 for won, *_ in outcomes)


def test_without_the_capacity_guard_the_last_place_is_given_twice(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    original = conversation_store.DynamoConversationStore.change_owner

    def no_capacity(self: Any, state: Any, change: Any, now: float) -> None:
        original(self, state, type(change)(change.to, change.expect_owner, None, change.queue_at, change.record), now)

    monkeypatch.setattr(conversation_store.DynamoConversationStore, "change_owner", no_capacity)
    won, load = capacity_race(hub)
    assert won.count(True) > 1 and load > 1
