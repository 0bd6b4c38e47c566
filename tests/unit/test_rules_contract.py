"""The contract's refusals in the words the sender reads: every way a frame or a REST body can be
wrong has its own code and a message that says what was wrong (docs/protocol.md, docs/rest.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.contract.actions import ACTION_NAMES, Send, Start, parse_action
from chalicelib.contract.common import MAX_BODY_BYTES, MAX_REST_BODY_BYTES, MAX_TEXT_CHARS
from chalicelib.contract.rest.common import Body, decode_body
from chalicelib.contract.rest.tickets import TicketCreateRequest
from chalicelib.platform.errors import HubError

SEND = {"action": "send", "conversation_id": "c_1", "client_id": "m1", "text": "hi"}


def refusal(body: str | bytes | None) -> tuple[str, str]:
    with pytest.raises(HubError) as caught:
        parse_action(body, "global")
    return caught.value.code, caught.value.message


def test_each_kind_of_bad_frame_says_what_is_wrong() -> None:
    expected_actions = ", ".join(ACTION_NAMES)
    assert refusal("[1]") == ("bad_json", "frame must be a JSON object")
    assert refusal('"text"') == ("bad_json", "frame must be a JSON object")
    assert refusal('{"action": "send", "x": ' + "[" * 3000 + "]" * 3000 + "}") == (
        "bad_json",
        "frame is nested too deeply",
    )
    assert refusal("[" * 5000 + "]" * 5000) == ("bad_json", "frame must be a JSON object")
    code, message = refusal("{not json")
    assert code == "bad_json" and message.startswith("frame is not valid JSON: ")
    assert refusal(None)[0] == "bad_json" and refusal("")[0] == "bad_json"
    assert refusal('{"action": "explode"}') == (
        "unknown_action",
        f"unknown action 'explode'; expected one of: {expected_actions}",
    )
    assert refusal('{"text": "no action"}') == (
        "unknown_action",
        f"unknown action None; expected one of: {expected_actions}",
    )
    assert expected_actions.startswith("start, join, take, assign, send, note")
    wrong = "this connection belongs to another tenant; the tenant is fixed at connect"
    assert refusal(json.dumps({**SEND, "tenant": "acme"})) == ("wrong_tenant", wrong)
    assert refusal(json.dumps({**SEND, "tenant": "acme", "text": ""})) == ("wrong_tenant", wrong)
    code, message = refusal(json.dumps({**SEND, "author": "boss"}))
    assert (code, message) == ("invalid_action", "send: Object contains unknown field `author`")
    code, message = refusal(json.dumps({"action": "read", "conversation_id": "c_1", "seq": -1}))
    assert code == "invalid_action" and message.startswith("read: ") and "$.seq" in message


def test_a_text_over_the_limit_is_too_large_and_at_the_limit_is_fine() -> None:
    at_limit = "y" * MAX_TEXT_CHARS
    action = parse_action(json.dumps({**SEND, "text": at_limit}), "global")
    assert isinstance(action, Send) and action.text == at_limit
    assert refusal(json.dumps({**SEND, "text": at_limit + "y"})) == (
        "payload_too_large",
        f"text is {MAX_TEXT_CHARS + 1} characters; the limit is {MAX_TEXT_CHARS}",
    )
    # A frame wrong for another reason, with a text exactly at the limit, is about that reason.
    code, message = refusal(json.dumps({"action": "send", "conversation_id": "c_1", "text": at_limit}))
    assert code == "invalid_action" and "client_id" in message


def test_the_frame_limit_counts_bytes_not_characters() -> None:
    shell = '{"action": "start", "request_id": ""}'
    wide = "é" * (MAX_BODY_BYTES - len(shell))  # two bytes each: the limit in characters, over it in bytes
    body = shell[:-2] + wide + shell[-2:]
    assert len(body) == MAX_BODY_BYTES < len(body.encode())
    assert refusal(body) == (
        "payload_too_large",
        f"frame is {len(body.encode())} bytes; the limit is {MAX_BODY_BYTES}",
    )
    assert refusal(body.encode())[0] == "payload_too_large"


def test_a_good_frame_keeps_its_tenant_only_when_it_is_the_connections() -> None:
    action = parse_action(b'{"action": "start", "tenant": "global", "request_id": "r1"}', "global")
    assert isinstance(action, Start) and (action.name, action.request_id, action.tenant) == ("start", "r1", "global")


def body_refusal(raw: str | bytes | None) -> tuple[str, str]:
    with pytest.raises(HubError) as caught:
        decode_body(raw, TicketCreateRequest)
    return caught.value.code, caught.value.message


def test_each_kind_of_bad_rest_body_says_what_is_wrong() -> None:
    assert body_refusal("[1]") == ("bad_json", "request body must be a JSON object")
    # 2000 levels: too deep, and still under the REST body limit abuse added (checked first).
    assert body_refusal('{"a":' * 2000 + "1" + "}" * 2000) == ("bad_json", "request body is nested too deeply")
    assert body_refusal('{"subject": ' + "[" * 3000 + "]" * 3000 + "}") == (
        "bad_json",
        "request body is nested too deeply",
    )
    code, message = body_refusal("{nope")
    assert code == "bad_json" and message.startswith("request body is not valid JSON: ")
    assert body_refusal('{"subject": 5}') == ("invalid_action", "Expected `str`, got `int` - at `$.subject`")
    assert body_refusal(b"") == ("invalid_action", "Object missing required field `subject`")
    assert body_refusal(None)[0] == "invalid_action"


def test_a_rest_body_may_be_exactly_the_limit_and_not_a_byte_more() -> None:
    """The limit counts the UTF-8 bytes API Gateway delivers; the refusal says both numbers."""
    at_limit = '{"subject": "x"' + " " * (MAX_REST_BODY_BYTES - len('{"subject": "x"}')) + "}"
    assert len(at_limit.encode()) == MAX_REST_BODY_BYTES
    assert decode_body(at_limit, TicketCreateRequest).subject == "x"
    assert body_refusal(at_limit[:-1] + " }") == (
        "payload_too_large",
        f"request body is {MAX_REST_BODY_BYTES + 1} bytes; the limit is {MAX_REST_BODY_BYTES}",
    )


@pytest.mark.parametrize("decode", ["frame", "request body"])
def test_text_that_is_not_unicode_is_refused_by_name_never_a_crash(decode: str) -> None:
    """Half a surrogate pair held in the text itself, or bytes that are no UTF-8 (a REST body API
    Gateway hands over base64-decoded): `invalid_action` saying why, not an internal error."""
    prefix = (
        '{"action": "send", "conversation_id": "c1", "client_id": "m1", "text": '
        if decode == "frame"
        else '{"subject": '
    )

    def refused(raw: str | bytes) -> tuple[str, str]:
        with pytest.raises(HubError) as caught:
            parse_action(raw, "global") if decode == "frame" else decode_body(raw, TicketCreateRequest)
        return caught.value.code, caught.value.message

    escaped = prefix + '"a\\ud800b"}'  # the JSON escape: valid JSON, no character
    why = "text must be valid Unicode; \\ud800 is half of a surrogate pair"
    assert refused(escaped) == ("invalid_action", f"{decode}: {why}")
    half = prefix + '"a\ud800b"}'
    assert refused(half) == ("invalid_action", f"{decode}: {why}")
    not_utf8 = prefix.encode() + b'"a\xffb"}'
    assert refused(not_utf8) == (
        "invalid_action",
        f"{decode}: text must be valid Unicode; byte 0xff at {len(prefix) + 2} is not UTF-8",
    )


def test_a_good_rest_body_decodes_from_text_or_bytes() -> None:
    assert decode_body('{"subject": "Refund"}', TicketCreateRequest).subject == "Refund"
    assert decode_body('{"subject": "Ré"}'.encode(), TicketCreateRequest).subject == "Ré"


def test_an_empty_frame_is_said_to_be_empty_json() -> None:
    for empty in (None, "", b""):
        assert refusal(empty) == ("bad_json", "frame is not valid JSON: Input data was truncated")


def test_a_frame_of_exactly_the_limit_is_judged_on_its_content() -> None:
    shell = json.dumps({**SEND, "text": ""})
    body = json.dumps({**SEND, "text": "z" * (MAX_BODY_BYTES - len(shell))})
    assert len(body.encode()) == MAX_BODY_BYTES
    n = MAX_BODY_BYTES - len(shell)
    assert refusal(body) == ("payload_too_large", f"text is {n} characters; the limit is {MAX_TEXT_CHARS}")


def test_a_bad_frame_naming_its_own_tenant_is_about_what_is_bad() -> None:
    code, message = refusal(json.dumps({**SEND, "tenant": "global", "seq": 3}))
    assert (code, message) == ("invalid_action", "send: Object contains unknown field `seq`")


def test_a_frame_whose_action_comes_after_deep_nesting_is_nested_too_deeply() -> None:
    """The decoder looks for the `action` tag past every field before it: deep nesting there
    fails inside the typed decode itself, and is still answered in words."""
    frame = '{"x": ' + "[" * 3000 + "]" * 3000 + ', "action": "send"}'
    assert refusal(frame) == ("bad_json", "frame is nested too deeply")


def test_a_body_type_with_a_free_field_still_refuses_deep_nesting_in_words() -> None:
    """`decode_body` serves every REST body type; one with a free-form field decodes nesting
    itself, and too deep is still `bad_json` with its reason."""

    class Free(Body):
        x: Any = None

    with pytest.raises(HubError) as caught:
        decode_body('{"x": ' + "[" * 3000 + "]" * 3000 + "}", Free)
    assert (caught.value.code, caught.value.message) == ("bad_json", "request body is nested too deeply")
    assert decode_body('{"x": [[1]]}', Free).x == [[1]]
