"""Each function sees only what it would see on AWS: a process of its own, the deployed
stage's configuration and what the stack wires in (`WS_MANAGEMENT_ENDPOINT` above all), so
REST- and schedule-triggered pushes must reach sockets through that configured endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice.config import Config

from local.testing import LocalHub
from tests.local.conftest import SHELL_ONLY_VARIABLE
from tests.local.wsclient import connection_id, open_ws, recv_json, run_async

ROOT = Path(__file__).resolve().parents[2]
# Besides its stage's `environment_variables`, all a function of the fake app is given:
# the stack's outputs, the local endpoints, and what the Lambda runtime itself sets.
STACK_AND_RUNTIME = {
    "WS_MANAGEMENT_ENDPOINT",
    "COGNITO_USER_POOL_ID",
    "COGNITO_APP_CLIENT_ID",
    "WIDGET_SECRET_ID",
    "AWS_ENDPOINT_URL",
    "COGNITO_JWKS_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "PYNAMODB_CONFIG",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "_HANDLER",
    "AWS_EXECUTION_ENV",  # "AWS_Lambda_python3.x aws-chalice/<version>": chalice adds itself, as on AWS
    "TZ",
    "LANG",
    "PATH",
}


def stage_environment(function: str) -> dict[str, str]:
    on_disk = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    config = Config(chalice_stage="dev", function_name=function, config_from_disk=on_disk)
    return {k: str(v) for k, v in config.environment_variables.items()}


def views(hub: LocalHub) -> dict[str, dict[str, Any]]:
    """What the `$default` route's, the REST API's and a schedule's function each see."""

    async def over_websocket() -> dict[str, Any]:
        async with open_ws(hub) as ws:
            await ws.send_str(json.dumps({"action": "what_i_see"}))
            return await recv_json(ws)

    scheduled = hub.run_schedule("broadcast")
    assert scheduled["ok"], scheduled
    return {
        "websocket_message": run_async(over_websocket()),
        "api_handler": hub.request("GET", hub.api_url + "/what_i_see"),
        "broadcast": scheduled["result"],
    }


def test_each_function_sees_its_stage_configuration_and_the_stack_outputs_only(fake_hub: LocalHub) -> None:
    for function, seen in views(fake_hub).items():
        env = seen["env"]
        configured = stage_environment(function)
        assert set(env) == set(configured) | STACK_AND_RUNTIME, function
        assert {k: env[k] for k in configured if k not in STACK_AND_RUNTIME} == {
            k: v for k, v in configured.items() if k not in STACK_AND_RUNTIME
        }
        assert env["WS_MANAGEMENT_ENDPOINT"] == fake_hub.management_url == fake_hub.base_url + "/ws"
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == f"fake-hub-dev-{function}"
        assert env["AWS_ACCESS_KEY_ID"] == fake_hub.info["managementCredentials"]["accessKeyId"]
        assert SHELL_ONLY_VARIABLE not in env


def test_functions_share_no_memory_and_no_environment(fake_hub: LocalHub) -> None:
    async def remember(value: str | None) -> dict[str, Any]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(json.dumps({"action": "remember", "key": "LEFT_BY_A_HANDLER", "value": value}))
            assert await recv_json(ws) == {"remembered": "LEFT_BY_A_HANDLER"}
            await ws.send_str(json.dumps({"action": "what_i_see"}))
            return await recv_json(ws)

    try:
        same_function = run_async(remember("yes"))
        others = views(fake_hub)
    finally:
        run_async(remember(None))
    # The function that changed its environment and memory keeps them, as a warm container does...
    assert same_function["env"]["LEFT_BY_A_HANDLER"] == "yes"
    assert same_function["remembered"] == {"LEFT_BY_A_HANDLER": "yes"}
    # ...and no other function sees either.
    for function in ("api_handler", "broadcast"):
        assert "LEFT_BY_A_HANDLER" not in others[function]["env"], function
        assert others[function]["remembered"] == {}, function


def test_a_function_whose_process_died_starts_again_cold(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            await ws.send_str(json.dumps({"action": "remember", "key": "BEFORE_THE_CRASH", "value": "x"}))
            assert await recv_json(ws) == {"remembered": "BEFORE_THE_CRASH"}
            await ws.send_str(json.dumps({"action": "die"}))
            failed = await recv_json(ws)
            await ws.send_str(json.dumps({"action": "what_i_see"}))
            return failed, await recv_json(ws, timeout=30)

    failed, after = run_async(scenario())
    assert failed["message"] == "Internal server error"
    # A new process: nothing of the old one's memory or environment survived.
    assert after["remembered"] == {}
    assert "BEFORE_THE_CRASH" not in after["env"]


def test_rest_and_scheduled_pushes_reach_a_socket_through_the_configured_endpoint(fake_hub: LocalHub) -> None:
    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with open_ws(fake_hub) as ws:
            cid = await connection_id(ws)
            answer = fake_hub.request("POST", f"{fake_hub.api_url}/push/{cid}", {"n": 1})
            assert answer == {"pushed": cid}
            by_rest = await recv_json(ws)
            await ws.send_str(json.dumps({"action": "subscribe"}))
            assert await recv_json(ws) == {"subscribed": cid}
            report = fake_hub.run_schedule("broadcast")
            by_schedule = await recv_json(ws)
        return cid, by_rest, report, by_schedule

    cid, by_rest, report, by_schedule = run_async(scenario())
    assert by_rest == {"pushed_by": "rest", "body": {"n": 1}}
    assert report["ok"] and cid in report["result"]["pushed"]
    assert report["result"]["env"]["WS_MANAGEMENT_ENDPOINT"] == fake_hub.management_url
    assert by_schedule == {"pushed_by": "schedule"}
