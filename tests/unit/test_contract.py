"""The typed contract: strict, cheap validation with one error code per kind of bad input, and the
three generated files (docs/protocol.md, docs/openapi.json, frontend/src/shared/contract.ts) in
step with it."""

from __future__ import annotations

import json

import pytest

from chalicelib.contract.actions import Send, parse_action
from chalicelib.contract.common import MAX_BODY_BYTES
from chalicelib.contract.rest.common import decode_body
from chalicelib.contract.rest.tickets import TicketCreateRequest
from chalicelib.platform.errors import HubError
from tools import contract

OK = {"action": "send", "conversation_id": "c_1", "client_id": "m1", "text": "hi"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "bad_json"),
        ("", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('"text"', "bad_json"),
        ("[" * 5000 + "]" * 5000, "bad_json"),
        ('{"action": "send", "x": ' + "[" * 3000 + "]" * 3000 + "}", "bad_json"),
        ('{"action": "explode"}', "unknown_action"),
        ('{"text": "no action"}', "unknown_action"),
        ('{"action": 7}', "unknown_action"),
        (json.dumps({**OK, "author": "boss"}), "invalid_action"),
        (json.dumps({**OK, "seq": "one"}), "invalid_action"),
        (json.dumps({**OK, "text": ""}), "invalid_action"),
        (json.dumps({**OK, "conversation_id": "../etc"}), "invalid_action"),
        (json.dumps({**OK, "request_id": "r" * 65}), "invalid_action"),
        (json.dumps({"action": "read", "conversation_id": "c_1", "seq": -1}), "invalid_action"),
        (json.dumps({**OK, "text": "x" * 4001}), "payload_too_large"),
        (json.dumps({**OK, "text": "y" * MAX_BODY_BYTES}), "payload_too_large"),
        (json.dumps({**OK, "tenant": "acme"}), "wrong_tenant"),
        (json.dumps({**OK, "tenant": "acme", "text": ""}), "wrong_tenant"),
        (json.dumps({**OK, "text": "a\ud800b"}), "invalid_action"),  # half a surrogate pair: not Unicode
        (json.dumps({**OK, "text": "\udc00"}), "invalid_action"),
    ],
)
def test_every_kind_of_bad_frame_gets_its_own_code(body: str, code: str) -> None:
    with pytest.raises(HubError) as caught:
        parse_action(body, "global")
    assert caught.value.code == code and caught.value.message


def test_a_good_frame_decodes_to_its_type() -> None:
    action = parse_action(json.dumps({**OK, "tenant": "global", "request_id": "r1"}), "global")
    assert isinstance(action, Send) and (action.name, action.text, action.request_id) == ("send", "hi", "r1")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1]", "bad_json"),
        ('{"a":' * 1500 + "1" + "}" * 1500, "bad_json"),  # nested too deeply: refused while parsing
        ('{"subject": "' + "s" * 20_000 + '"}', "payload_too_large"),  # over the body limit, before parsing
        ('{"subject": "a\\ud800b"}', "invalid_action"),  # half a surrogate pair: not Unicode
        ('{"subject": "s", "priority": "high"}', "invalid_action"),
        ('{"subject": 5}', "invalid_action"),
        ('{"subject": "' + "s" * 201 + '"}', "invalid_action"),
        ("", "invalid_action"),  # no body is an empty object: the subject is missing
    ],
)
def test_rest_bodies_are_strict(raw: str, code: str) -> None:
    with pytest.raises(HubError) as caught:
        decode_body(raw, TicketCreateRequest)
    assert caught.value.code == code


def test_the_generated_files_are_in_step_with_the_contract() -> None:
    assert contract.stale() == [], "run `make contract`"
