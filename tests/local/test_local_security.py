"""The local stack on a developer's machine: nothing but the machine itself reaches it.

A page of another site can make its name resolve to 127.0.0.1 (DNS rebinding) and then
call the hub or moto as if it were them; the `Host` header still names that site. A page
can also call them cross-origin outright. Both are refused, on the hub and on moto (which
holds the widget signing secret)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from local.testing import LocalHub
from tests.local.wsclient import run_async

SECRET_ID = "flow-hub/dev/widget-signing-key"


def call(
    url: str,
    method: str = "GET",
    *,
    host: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    """One request to `url`'s server, with the `Host` header a browser would send for `host`."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""), skip_host=True)
        connection.putheader("Host", host or parts.netloc)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_secret_value(hub: LocalHub, **options: Any) -> tuple[int, bytes]:
    """moto's GetSecretValue as a page's script can send it (moto checks no signature)."""
    headers = {
        "X-Amz-Target": "secretsmanager.GetSecretValue",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=page/20250101/us-east-1/secretsmanager/aws4_request, "
        "SignedHeaders=host, Signature=0",
        **options.pop("headers", {}),
    }
    return call(
        hub.moto_url + "/", "POST", headers=headers, body=json.dumps({"SecretId": SECRET_ID}).encode(), **options
    )


def test_a_foreign_host_reaches_no_route_of_the_hub(fake_hub: LocalHub) -> None:
    port = urlsplit(fake_hub.base_url).port
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert call(fake_hub.base_url + "/config.json", host=f"{name}:{port}")[0] == 200, name
    for path in ("/config.json", "/_local/schedules", "/api/echo", "/ws/@connections/BFaT_fALIAMCKug=", "/"):
        status, body = call(fake_hub.base_url + path, host=f"evil.example:{port}")
        assert status == 403, path
        assert b"config" not in body and b"schedules" not in body
    # Same port, other name; and the right name on another port (what a rebinding page on :80 sends).
    assert call(fake_hub.base_url + "/config.json", host="evil.example")[0] == 403
    assert call(fake_hub.base_url + "/config.json", host="127.0.0.1")[0] == 403


def test_a_foreign_host_cannot_open_the_websocket(fake_hub: LocalHub) -> None:
    port = urlsplit(fake_hub.base_url).port

    async def handshake(host: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(fake_hub.ws_url, headers={"Host": host}):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert run_async(handshake(f"evil.example:{port}")) == 403
    assert run_async(handshake(f"localhost:{port}")) == 101


def test_other_sites_cannot_drive_the_local_stack(fake_hub: LocalHub) -> None:
    runs_before = {
        s["name"]: s["runs"] for s in fake_hub.request("GET", fake_hub.base_url + "/_local/schedules")["schedules"]
    }
    # A form post from another site is a "simple" request: no preflight would stop it.
    status, _ = call(
        fake_hub.base_url + "/_local/schedules/hourly/run", "POST", headers={"Origin": "http://evil.example"}
    )
    assert status == 403
    runs_after = {
        s["name"]: s["runs"] for s in fake_hub.request("GET", fake_hub.base_url + "/_local/schedules")["schedules"]
    }
    assert runs_after["hourly"] == runs_before["hourly"]
    # The hub's own pages may.
    status, _ = call(fake_hub.base_url + "/_local/schedules", headers={"Origin": fake_hub.base_url})
    assert status == 200


def test_moto_refuses_a_foreign_host_and_other_sites_pages(fake_hub: LocalHub) -> None:
    port = urlsplit(fake_hub.moto_url).port
    status, body = get_secret_value(fake_hub)
    assert status == 200 and json.loads(body)["Name"] == SECRET_ID  # the request itself works
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        status, body = get_secret_value(fake_hub, host=host)
        assert status == 403, host
        assert b"SecretString" not in body
    status, body = get_secret_value(fake_hub, headers={"Origin": "http://evil.example"})
    assert status == 403 and b"SecretString" not in body
    # The dashboard, served by the hub, signs in against moto's Cognito cross-origin.
    assert get_secret_value(fake_hub, headers={"Origin": fake_hub.base_url})[0] == 200


@pytest.mark.parametrize("name", ["localhost", "[::1]"])
def test_moto_answers_the_machines_own_names(fake_hub: LocalHub, name: str) -> None:
    port = urlsplit(fake_hub.moto_url).port
    assert get_secret_value(fake_hub, host=f"{name}:{port}")[0] == 200
