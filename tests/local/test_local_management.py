"""The `@connections` management API, driven by the unchanged boto3 client."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.exceptions import ClientError

from local.testing import LocalHub
from tests.local.wsclient import connection_id, echo, open_ws, recv_json, routes, run_async, wait_for_events


def test_post_to_connection_sends_a_text_frame(fake_hub: LocalHub) -> None:
    client = fake_hub.management_client()

    async def scenario() -> Any:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"hello": "w\xc3\xb6rld"}')
            msg = await ws.receive(timeout=5)
            assert msg.type is aiohttp.WSMsgType.TEXT
            return json.loads(msg.data)

    assert run_async(scenario()) == {"hello": "wörld"}


def test_get_connection_reports_times_and_identity(fake_hub: LocalHub) -> None:
    client = fake_hub.management_client()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub, headers={"User-Agent": "mgmt-test/2"}) as ws:
            cid = await connection_id(ws)
            first = await asyncio.to_thread(client.get_connection, ConnectionId=cid)
            await asyncio.sleep(0.05)
            await echo(ws)
            second = await asyncio.to_thread(client.get_connection, ConnectionId=cid)
        return first, second

    first, second = run_async(scenario())
    assert isinstance(first["ConnectedAt"], datetime)
    assert first["ConnectedAt"].tzinfo is not None
    assert abs((datetime.now(UTC) - first["ConnectedAt"]).total_seconds()) < 30
    assert first["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "mgmt-test/2"}
    assert second["ConnectedAt"] == first["ConnectedAt"]
    assert second["LastActiveAt"] > first["LastActiveAt"]


def test_delete_connection_closes_it_and_runs_disconnect(fake_hub: LocalHub) -> None:
    client = fake_hub.management_client()

    async def scenario() -> tuple[str, aiohttp.WSMessage, list[dict[str, Any]]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await asyncio.to_thread(client.delete_connection, ConnectionId=cid)
            closing = await ws.receive(timeout=5)
            found = await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))
        return cid, closing, found

    cid, closing, found = run_async(scenario())
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 1000
    assert routes(found)[-1] == "$disconnect"
    assert found[-1]["requestContext"]["disconnectStatusCode"] == 1000
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=cid, Data=b"x")
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=cid)
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=cid)


def test_closed_and_unknown_connections_are_gone(fake_hub: LocalHub) -> None:
    client = fake_hub.management_client()

    async def scenario() -> str:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
        await wait_for_events(fake_hub, cid, lambda e: "$disconnect" in routes(e))
        return cid

    cid = run_async(scenario())
    with pytest.raises(client.exceptions.GoneException) as gone:
        client.post_to_connection(ConnectionId=cid, Data=b"late")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert gone.value.response["Error"]["Code"] == "GoneException"
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"never")


def test_handlers_see_gone_for_the_target_not_the_sender(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as target:
            gone_id = await connection_id(target)
        async with open_ws(fake_hub) as sender, open_ws(fake_hub) as other:
            other_id = await connection_id(other)
            await sender.send_str(json.dumps({"action": "post_to", "target": gone_id, "data": "x"}))
            gone_reply = await recv_json(sender)
            await sender.send_str(json.dumps({"action": "post_to", "target": other_id, "data": '{"from":"sender"}'}))
            posted_reply = await recv_json(sender)
            assert await recv_json(other) == {"from": "sender"}
        return gone_id, gone_reply, posted_reply

    gone_id, gone_reply, posted_reply = run_async(scenario())
    assert gone_reply == {"gone": gone_id}
    assert "posted" in posted_reply


def test_the_endpoint_is_under_the_stage_and_a_wrong_stage_is_forbidden(fake_hub: LocalHub) -> None:
    keys = fake_hub.info["managementCredentials"]
    wrong = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=fake_hub.base_url + "/prod",
        region_name="us-east-1",
        aws_access_key_id=keys["accessKeyId"],
        aws_secret_access_key=keys["secretAccessKey"],
    )
    client = fake_hub.management_client()

    async def scenario() -> tuple[Any, str]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"via":"stage"}')
            received = await recv_json(ws)
            try:
                await asyncio.to_thread(wrong.get_connection, ConnectionId=cid)
            except ClientError as exc:
                return received, str(exc.response["Error"]["Code"])
        return received, "no error"

    received, error_code = run_async(scenario())
    assert fake_hub.management_url == fake_hub.base_url + "/ws"
    assert received == {"via": "stage"}
    assert error_code == "ForbiddenException"


def test_only_the_hubs_functions_can_post_to_a_connection(fake_hub: LocalHub) -> None:
    """`@connections` checks the SigV4 signature against the functions' per-run credentials:
    a plain POST, a client with other credentials and a tampered body are refused with 403
    and inject nothing; the hub's own handlers (`post_to` below) still deliver."""
    keys = fake_hub.info["managementCredentials"]
    intruder = fake_hub.management_client(signed=False)
    guesser = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=fake_hub.management_url,
        region_name="us-east-1",
        aws_access_key_id=keys["accessKeyId"],  # the key id alone is not enough
        aws_secret_access_key="not-the-secret",
    )
    signed = fake_hub.management_client()

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b'"x"', b'"y"')  # after signing: the signature no longer matches

    signed.meta.events.register("before-send.apigatewaymanagementapi.PostToConnection", tamper)

    async def scenario() -> tuple[list[int], list[str], Any]:
        async with open_ws(fake_hub) as victim, open_ws(fake_hub) as sender:
            cid = await connection_id(victim)
            url = f"{fake_hub.management_url}/@connections/{cid}"
            statuses = []
            async with aiohttp.ClientSession() as session:
                for method in ("POST", "GET", "DELETE"):
                    async with session.request(method, url, data=b'{"message": "injected"}') as response:
                        statuses.append(response.status)
            codes = []
            for client in (intruder, guesser, signed):
                try:
                    await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"message": "x"}')
                except ClientError as exc:
                    codes.append(f"{exc.response['ResponseMetadata']['HTTPStatusCode']}")
            # A handler of the hub posts with the credentials it was given: delivered.
            await sender.send_str(json.dumps({"action": "post_to", "target": cid, "data": '{"from": "handler"}'}))
            delivered = await recv_json(victim)
            assert await recv_json(sender) == {"posted": cid}
            # Nothing else reached the victim.
            await echo(victim)
        return statuses, codes, delivered

    statuses, codes, delivered = run_async(scenario())
    assert statuses == [403, 403, 403]
    assert codes == ["403", "403", "403"]
    assert delivered == {"from": "handler"}


def test_posts_over_128_kb_are_rejected(fake_hub: LocalHub) -> None:
    client = fake_hub.management_client()

    async def scenario() -> int:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            with pytest.raises(client.exceptions.PayloadTooLargeException):
                await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b"x" * (128 * 1024 + 1))
            await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b"y" * (128 * 1024))
            msg = await ws.receive(timeout=5)
            return len(msg.data)

    assert run_async(scenario()) == 128 * 1024


def test_handlers_can_read_their_own_connection(fake_hub: LocalHub) -> None:
    async def scenario() -> dict[str, Any]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(json.dumps({"action": "info"}))
            return await recv_json(ws)

    info = run_async(scenario())["info"]
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert "ConnectedAt" in info and "LastActiveAt" in info
