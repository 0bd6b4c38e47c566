"""The Sender takes its management endpoint from configuration only; without it, posting fails loudly."""

from __future__ import annotations

import pytest

from chalicelib.contract.events import AckEvent, QueueEvent
from chalicelib.platform.config import ConfigError, Settings
from chalicelib.platform.sender import Sender
from tests.unit.conftest import RecordingSender


def test_a_post_without_a_management_endpoint_is_a_configuration_error() -> None:
    sender = Sender(None, "us-east-1")
    with pytest.raises(ConfigError, match="WS_MANAGEMENT_ENDPOINT"):
        sender.post("c1=", AckEvent(action="heartbeat"))
    with pytest.raises(ConfigError, match="WS_MANAGEMENT_ENDPOINT"):
        sender.post_many(["c1=", "c2="], AckEvent(action="heartbeat"))
    assert sender.post_many([], AckEvent(action="heartbeat")) == ([], [])  # nothing to send needs no endpoint


def test_the_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WS_MANAGEMENT_ENDPOINT", "https://abc.execute-api.eu-north-1.amazonaws.com/ws")
    assert Settings.from_env().ws_management_endpoint == "https://abc.execute-api.eu-north-1.amazonaws.com/ws"
    monkeypatch.delenv("WS_MANAGEMENT_ENDPOINT")
    assert Settings.from_env().ws_management_endpoint is None


def test_sender_has_no_way_to_guess_the_endpoint_from_an_event() -> None:
    assert not hasattr(Sender, "configure_from_event")


@pytest.mark.parametrize("targets", [2, 9])  # one by one, and from the pool
def test_post_each_gives_each_target_its_own_event_and_reports_the_gone_and_the_failed(targets: int) -> None:
    ids = [f"c{i}=" for i in range(targets)]
    sender = RecordingSender()
    sender.gone, sender.broken = {ids[0]}, {ids[1]}
    posts = [(c, QueueEvent(conversation_id=f"conv-{i}", place=i + 1)) for i, c in enumerate(ids)]
    assert sender.post_each(posts) == ([ids[0]], [ids[1]])
    assert sender.sent == {
        c: [{"type": "queue", "conversation_id": f"conv-{i}", "place": i + 1}] for i, c in enumerate(ids) if i > 1
    }
    assert sender.post_each([]) == ([], [])
    with pytest.raises(ConfigError, match="WS_MANAGEMENT_ENDPOINT"):
        Sender(None, "us-east-1").post_each(posts)


@pytest.mark.parametrize("others", [0, 5])  # one by one, and from the pool
def test_post_each_gives_a_customer_waiting_in_two_chats_both_places(others: int) -> None:
    sender = RecordingSender()
    posts = [
        ("kim=", QueueEvent(conversation_id="first", place=1)),
        ("kim=", QueueEvent(conversation_id="second", place=2)),
    ]
    posts += [(f"c{i}=", QueueEvent(conversation_id=f"conv-{i}", place=3 + i)) for i in range(others)]
    assert sender.post_each(posts) == ([], [])
    assert sorted((e["conversation_id"], e["place"]) for e in sender.sent["kim="]) == [("first", 1), ("second", 2)]
    assert len(sender.sent) == 1 + others
