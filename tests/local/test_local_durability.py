"""Local data survives restarts of `python -m local.run` (same data dir)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from local.moto_server import MotoProcess
from local.testing import HubProcess, LocalHub
from tests.local.wsclient import connection_id, events, get_json, open_ws, recv_json, routes, run_async


async def _put(hub: LocalHub, key: str, value: str) -> str:
    async with open_ws(hub) as ws:
        cid = await connection_id(ws)
        await ws.send_str(json.dumps({"action": "put", "key": key, "value": value}))
        assert await recv_json(ws) == {"stored": key}
    return cid


def _value(hub: LocalHub, key: str) -> Any:
    status, body = run_async(get_json(f"{hub.api_url}/kv/{key}"))
    assert status == 200
    return body["value"]


def test_data_survives_a_clean_restart(hub_factory: Callable[..., HubProcess], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = hub_factory(data_dir)
    hub = first.start()
    cid = run_async(_put(hub, "greeting", "hello again"))
    pool_id, sub = hub.user_pool_id, _agent_sub(hub)
    assert first.stop() == 0

    snapshot = json.loads((data_dir / "dynamodb.json").read_text())
    assert snapshot["format"] == "flow-hub-local-dynamodb"

    second = hub_factory(data_dir)
    again = second.start()
    assert _value(again, "greeting") == "hello again"
    # Every event of the earlier connection, its $disconnect included, was kept.
    assert routes(run_async(events(again, cid))) == ["$connect", "$default", "$default", "$disconnect"]
    assert sum(again.info["restored"].values()) >= 5
    # Cognito is recreated, but with the same pool and the same agent identities.
    assert again.user_pool_id == pool_id
    assert _agent_sub(again) == sub


def _agent_sub(hub: LocalHub) -> str:
    user = hub.aws_client("cognito-idp").admin_get_user(UserPoolId=hub.user_pool_id, Username=hub.agent_username)
    return next(str(a["Value"]) for a in user["UserAttributes"] if a["Name"] == "sub")


def test_shutdown_disconnects_open_sockets_before_the_final_snapshot(
    hub_factory: Callable[..., HubProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = hub_factory(data_dir)
    hub = first.start()

    async def scenario() -> tuple[str, aiohttp.WSMessage]:
        async with open_ws(hub) as ws:
            cid = await connection_id(ws)
            await asyncio.to_thread(first.stop)
            return cid, await ws.receive(timeout=5)

    cid, closing = run_async(scenario())
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert closing.data == 1001
    again = hub_factory(data_dir).start()
    found = run_async(events(again, cid))
    assert routes(found)[-1] == "$disconnect"
    assert found[-1]["requestContext"]["disconnectStatusCode"] == 1001


def test_a_crash_loses_at_most_the_last_snapshot_interval(
    hub_factory: Callable[..., HubProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = hub_factory(data_dir, ["--snapshot-interval", "0.5"])
    hub = first.start()
    run_async(_put(hub, "before-crash", "kept"))
    snapshot = data_dir / "dynamodb.json"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (snapshot.exists() and "before-crash" in snapshot.read_text()):
        time.sleep(0.1)
    assert first.process is not None
    os.kill(first.process.pid, signal.SIGKILL)
    first.stop()

    again = hub_factory(data_dir).start()
    assert _value(again, "before-crash") == "kept"


def test_a_snapshot_interval_of_0_writes_only_on_a_clean_exit(
    hub_factory: Callable[..., HubProcess], tmp_path: Path
) -> None:
    # `--snapshot-interval 0` used to mean "dump continuously": every handler paused while the
    # whole store was serialized again and again (found profiling the latency benchmark).
    data_dir = tmp_path / "data"
    first = hub_factory(data_dir, ["--snapshot-interval", "0"])
    hub = first.start()
    run_async(_put(hub, "on-exit", "kept"))
    time.sleep(1.5)
    status, body = run_async(get_json(f"{hub.base_url}/_local/status"))
    assert status == 200
    assert body["snapshotWrites"] == 0
    assert not (data_dir / "dynamodb.json").exists()
    assert first.stop() == 0

    again = hub_factory(data_dir).start()
    assert _value(again, "on-exit") == "kept"


def test_widget_secret_is_kept_in_the_data_dir(hub_factory: Callable[..., HubProcess], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = hub_factory(data_dir)
    hub = process.start()
    secret_id = json.loads((Path(__file__).parents[2] / ".chalice" / "config.json").read_text())["stages"]["dev"][
        "environment_variables"
    ]["WIDGET_SECRET_ID"]
    value = hub.aws_client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    assert len(bytes.fromhex(value)) == 32
    assert (data_dir / "widget-secret.hex").read_text() == value
    process.stop()
    again = hub_factory(data_dir).start()
    assert again.aws_client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"] == value


def test_an_external_dynamodb_is_the_durable_store(hub_factory: Callable[..., HubProcess], tmp_path: Path) -> None:
    external = MotoProcess(log_path=tmp_path / "external-moto.log")
    url = external.start()
    try:
        data_dir = tmp_path / "data"
        first = hub_factory(data_dir, ["--dynamodb-endpoint", url])
        hub = first.start()
        assert hub.info["dynamodbEndpoint"] == url
        run_async(_put(hub, "external", "stays there"))
        first.stop()
        assert not (data_dir / "dynamodb.json").exists()
        again = hub_factory(data_dir, ["--dynamodb-endpoint", url]).start()
        assert _value(again, "external") == "stays there"
        # The hub's own moto holds no tables: every table is in the external store.
        assert again.aws_client("dynamodb").list_tables()["TableNames"] == []
    finally:
        external.stop()
