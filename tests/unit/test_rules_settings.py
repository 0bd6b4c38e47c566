"""Team settings and each agent's capacity (`hub/settings.py`), as the dashboard changes them:
what is stored, what the agent directory shows, what is refused (in the words the dashboard
shows) and the record each change leaves."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.hub.settings import MAX_CAPACITY, agent_view, settings_view
from chalicelib.live.presence import PresenceRule
from chalicelib.platform.auth import Actor
from chalicelib.platform.errors import InvalidAction, NotFound
from chalicelib.store.keys import history_subject
from tests.unit.conftest import Unit

ANA = Actor("global", "agent", "sub-ana", "Ana")


def records(unit: Unit, kind: str, item: str) -> list[tuple[str, str, str, str]]:
    return [
        (h.action, h.actor_id, h.actor_name, h.detail)
        for h in unit.store.histories[history_subject("global", kind, item)]
    ]


def refusal(call: Any) -> str:
    with pytest.raises(InvalidAction) as exc:
        call()
    return exc.value.message


def test_a_settings_change_stores_only_what_was_sent_and_is_recorded(unit: Unit) -> None:
    team = unit.hub.team
    before = team.get("global")
    tenant = team.change(ANA, {"time_zone": "Europe/Stockholm", "default_region": "se"})
    assert (tenant.time_zone, tenant.phone_region) == ("Europe/Stockholm", "SE")
    stored = unit.store.tenants["global"]
    assert (stored.time_zone, stored.phone_region, int(stored.chat_capacity)) == (
        "Europe/Stockholm",
        "SE",
        int(before.chat_capacity),
    )
    assert records(unit, "SETTINGS", "global") == [
        ("settings", "sub-ana", "Ana", "phone_region = SE, time_zone = Europe/Stockholm")
    ]
    tenant = team.change(ANA, {"chat_capacity": 3, "default_region": None})
    assert tenant.phone_region is None
    assert (int(tenant.chat_capacity), tenant.time_zone) == (3, "Europe/Stockholm")
    assert records(unit, "SETTINGS", "global")[-1][3] == "chat_capacity = 3, phone_region = None"
    view = settings_view(unit.store.tenants["global"])
    assert (view.tenant, view.time_zone, view.default_region, view.chat_capacity) == (
        "global",
        "Europe/Stockholm",
        None,
        3,
    )
    assert (view.name, view.callback_sla_minutes, view.mode) == (
        stored.name,
        int(stored.callback_sla_minutes),
        stored.mode,
    )
    team.change(ANA, {"default_region": "gb"})
    assert settings_view(unit.store.tenants["global"]).default_region == "GB"
    assert team.change(ANA, {"chat_capacity": 0}).chat_capacity == 0
    assert team.change(ANA, {"chat_capacity": MAX_CAPACITY}).chat_capacity == 50


def test_bad_settings_are_refused_and_change_nothing(unit: Unit) -> None:
    team = unit.hub.team
    stored = unit.store.tenants["global"]
    zone, region, capacity = stored.time_zone, stored.phone_region, int(stored.chat_capacity)
    capacity_words = "chat_capacity: a whole number from 0 to 50"
    for bad in (-1, 51, 2.5, "3", True, None):
        assert refusal(lambda bad=bad: team.change(ANA, {"chat_capacity": bad})) == capacity_words
    assert refusal(lambda: team.change(ANA, {"time_zone": "Mars/Olympus"})) == (
        "time_zone: 'Mars/Olympus' is not an IANA time zone such as Europe/Stockholm"
    )
    assert refusal(lambda: team.change(ANA, {"time_zone": 5})) == (
        "time_zone: an IANA time zone such as Europe/Stockholm"
    )
    region_words = "default_region: an ISO 3166 region code such as SE, US or GB, or null"
    for bad in ("XX", 46, "sweden"):
        assert refusal(lambda bad=bad: team.change(ANA, {"default_region": bad})) == region_words
    assert refusal(lambda: team.change(ANA, {"mode": "live"})) == (
        "mode: not a setting; expected time_zone, default_region or chat_capacity"
    )
    assert refusal(lambda: team.change(ANA, {})) == (
        "nothing to change: send time_zone, default_region or chat_capacity"
    )
    # a bad value next to a good one: nothing is stored
    assert refusal(lambda: team.change(ANA, {"time_zone": "Europe/Oslo", "chat_capacity": -1})) == capacity_words
    assert (stored.time_zone, stored.phone_region, int(stored.chat_capacity)) == (zone, region, capacity)
    assert records(unit, "SETTINGS", "global") == []
    with pytest.raises(NotFound) as missing:
        team.get("nowhere")
    assert missing.value.message == "no tenant 'nowhere'"
    with pytest.raises(NotFound) as exc:
        team.change(Actor("nowhere", "agent", "sub-x", "X"), {"chat_capacity": 1})
    assert exc.value.message == "no tenant 'nowhere'"


def test_an_agents_own_capacity_overrides_the_tenants_and_can_go_back(unit: Unit) -> None:
    team = unit.hub.team
    unit.connect_agent("bo")
    team.change(ANA, {"chat_capacity": 4})
    tenant = unit.store.tenants["global"]
    rule = PresenceRule()
    now = unit.clock.now()
    bo = unit.store.presence[("global", "sub-bo")]
    view = agent_view(bo, tenant, rule, now)
    assert (view.id, view.name, view.capacity, view.own_capacity, view.open_chats) == ("sub-bo", "Bo", 4, False, 0)
    assert (view.status, view.reachable, view.available) == (bo.status, True, bo.status == "available")
    updated = team.set_capacity(ANA, "sub-bo", 2)
    assert int(updated.capacity) == 2 and int(unit.store.presence[("global", "sub-bo")].capacity) == 2
    view = agent_view(unit.store.presence[("global", "sub-bo")], tenant, rule, now)
    assert (view.capacity, view.own_capacity) == (2, True)
    zero = team.set_capacity(ANA, "sub-bo", 0)  # no chats for Bo: his own 0, not the tenant's 4
    assert int(zero.capacity) == 0
    assert agent_view(unit.store.presence[("global", "sub-bo")], tenant, rule, now).capacity == 0
    back = team.set_capacity(ANA, "sub-bo", None)
    assert back.capacity is None and agent_view(back, tenant, rule, now).capacity == 4
    assert [r[3] for r in records(unit, "AGENT", "sub-bo")] == [
        "capacity = 2",
        "capacity = 0",
        "capacity = tenant default",
    ]
    assert records(unit, "AGENT", "sub-bo")[0][:3] == ("settings", "sub-ana", "Ana")
    assert refusal(lambda: team.set_capacity(ANA, "sub-bo", 51)) == ("capacity: a whole number from 0 to 50 or null")
    with pytest.raises(NotFound) as exc:
        team.set_capacity(ANA, "sub-nobody", 1)
    assert exc.value.message == "no agent 'sub-nobody' in this tenant"
    bo_later = unit.store.presence[("global", "sub-bo")]
    bo_later.open_chats = 2
    assert agent_view(bo_later, tenant, rule, now).open_chats == 2
    assert agent_view(bo_later, tenant, rule, now + rule.window).reachable is False
