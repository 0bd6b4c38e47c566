"""Bad frames on the live lane (issue 9, item 4): one clear error to the sender, nothing stored,
and the connection stays usable for the next good frame."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import Unit


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"action": "send", "text": ' + "[" * 3000 + "]" * 3000 + "}", "bad_json"),  # 3,000 deep
        ('{"action":"send","conversation_id":"CONV","client_id":"s1","text":"a\\ud800b"}', "invalid_action"),
        (
            '{"action":"send","conversation_id":"CONV","client_id":"s1","text":"' + "x" * 20_000 + '"}',
            "payload_too_large",
        ),
    ],
)
def test_a_bad_frame_is_one_error_stores_nothing_and_the_connection_goes_on(unit: Unit, frame: str, code: str) -> None:
    customer = unit.connect_customer()
    conv = unit.start(customer)
    unit.hub.live.handle(customer, frame.replace("CONV", conv))
    [error] = unit.sender.take(customer)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert unit.texts(conv) == []
    # The first line starts the conversation (the customer also hears it started and their place).
    ack, *_ = unit.act(customer, action="send", conversation_id=conv, client_id="ok", text="still here")
    assert ack["type"] == "ack" and unit.texts(conv) == ["still here"]
    assert json.dumps(error)  # the error itself is valid JSON for the client
