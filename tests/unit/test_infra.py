"""The packaged template: built by `chalice package`, tables generated from the models, wired by Ref."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import TABLE_ENV_VARS
from chalicelib.models import TABLES
from infra import template
from infra.package import package


@pytest.fixture(scope="module", params=["dev", "prod"])
def sam(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    stage = str(request.param)
    path = package(stage, tmp_path_factory.mktemp(stage))
    return stage, json.loads(Path(path).read_text())


def test_committed_templates_are_current() -> None:
    for stage in ("dev", "prod"):
        committed = json.loads((template.ROOT / "infra" / f"resources-{stage}.json").read_text())
        assert committed == json.loads(json.dumps(template.template(stage))), "run `python -m infra.template`"
        policy = json.loads((template.ROOT / ".chalice" / f"policy-{stage}.json").read_text())
        assert policy == template.policy(stage)


def test_package_has_every_table_the_runtime_names(sam: tuple[str, dict[str, Any]]) -> None:
    stage, doc = sam
    env = template.stage_env(stage)
    tables = {
        r["Properties"]["TableName"]: r["Properties"]
        for r in doc["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    assert set(tables) == {env[var] for var in TABLE_ENV_VARS.values()}
    for kind, model in TABLES.items():
        props = tables[env[TABLE_ENV_VARS[kind]]]
        assert props["KeySchema"] == model._get_schema()["key_schema"]
        assert {g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])} == {
            g["index_name"] for g in model._get_schema()["global_secondary_indexes"]
        }


def test_every_function_gets_the_pool_from_the_stack_and_websocket_routes_exist(
    sam: tuple[str, dict[str, Any]],
) -> None:
    _, doc = sam
    functions = {k: v for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert {"WebsocketConnect", "WebsocketMessage", "WebsocketDisconnect", "APIHandler"} <= set(functions)
    for fid, fn in functions.items():
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables["COGNITO_USER_POOL_ID"] == {"Ref": "AgentUserPool"}, fid
        assert variables["CONVERSATIONS_TABLE"].startswith("flow-hub-"), fid
    routes = {v["Properties"]["RouteKey"] for v in doc["Resources"].values() if v["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$default", "$disconnect"}
