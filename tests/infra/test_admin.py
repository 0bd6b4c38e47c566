"""The admin CLI (`python -m tools.admin`) against the local stack: what it writes is what the
running hub then accepts (widget keys, agents' sign-in and tenant)."""

from __future__ import annotations

import json
import urllib.error
import uuid
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local.bootstrap import stage_variables
from local.testing import LocalHub
from tests.infra.stage import ROOT
from tools import admin
from tools.admin import Admin, AdminError, Target


@pytest.fixture(scope="module")
def target(local_hub: LocalHub) -> Target:
    env = stage_variables(ROOT)
    return Target(
        region=str(local_hub.info["region"]),
        tenants_table=env["TENANTS_TABLE"],
        user_pool_id=local_hub.user_pool_id,
        endpoint_url=local_hub.moto_url,
        site_url=local_hub.base_url,
    )


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _tenant_id() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _session_status(hub: LocalHub, widget_key: str) -> int:
    try:
        hub.request("POST", hub.api_url + "/widget/session", {"widget_key": widget_key})
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200


def test_a_created_tenant_is_listed_and_its_widget_key_opens_sessions(local_hub: LocalHub, target: Target) -> None:
    a = Admin(target)
    tenant = _tenant_id()
    created = a.create_tenant(
        tenant, "Nordic Bikes", sla_minutes=30, allowed_origins=["https://bikes.example"], phone_region="SE"
    )
    key = created["widget_keys"][0]
    assert key.startswith(f"wk_{tenant}_")
    assert f'data-widget-key="{key}"' in created["embed_snippet"]
    assert created["embed_snippet"].startswith(f'<script src="{local_hub.base_url}/widget.js"')
    listed = {t["tenant_id"]: t for t in a.list_tenants()}
    assert listed[tenant]["callback_sla_minutes"] == 30
    assert listed[tenant]["allowed_origins"] == ["https://bikes.example"]
    assert listed[tenant]["phone_region"] == "SE"
    assert _session_status(local_hub, key) == 200


@pytest.mark.parametrize(
    ("tenant", "kwargs", "message"),
    [
        ("Bad_Id", {}, "lowercase letters"),
        ("ok-id", {"widget_key": "wk_other_abc"}, "must look like wk_ok-id_"),
        ("ok-id", {"allowed_origins": ["bikes.example/shop"]}, "scheme and host only"),
        ("ok-id", {"phone_region": "sweden"}, "two-letter"),
        ("ok-id", {"sla_minutes": 0}, "at least 1"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(
    target: Target, tenant: str, kwargs: dict[str, Any], message: str
) -> None:
    a = Admin(target)
    with pytest.raises(AdminError, match=message):
        a.create_tenant(tenant, "Name", **kwargs)
    assert tenant not in {t["tenant_id"] for t in a.list_tenants()}


def test_a_tenant_is_created_once(target: Target) -> None:
    a = Admin(target)
    tenant = _tenant_id()
    a.create_tenant(tenant, "First")
    with pytest.raises(AdminError, match="already exists"):
        a.create_tenant(tenant, "Second")
    assert {t["tenant_id"]: t["name"] for t in a.list_tenants()}[tenant] == "First"


def test_rotating_a_widget_key_revokes_the_old_one_unless_kept(local_hub: LocalHub, target: Target) -> None:
    a = Admin(target)
    tenant = _tenant_id()
    old = a.create_tenant(tenant, "Rotating")["widget_keys"][0]
    kept = a.rotate_widget_key(tenant, keep_old=True)
    assert _session_status(local_hub, old) == 200
    assert _session_status(local_hub, kept["widget_key"]) == 200
    rotated = a.rotate_widget_key(tenant)
    assert set(rotated["revoked"]) == {old, kept["widget_key"]}
    assert _session_status(local_hub, rotated["widget_key"]) == 200
    assert _session_status(local_hub, old) in (401, 403, 404)
    assert _session_status(local_hub, kept["widget_key"]) in (401, 403, 404)
    with pytest.raises(AdminError, match="no tenant"):
        a.rotate_widget_key("nobody-here")


def test_an_invited_agent_signs_in_to_their_tenant_and_a_disabled_one_cannot(
    local_hub: LocalHub, target: Target
) -> None:
    a = Admin(target)
    tenant = _tenant_id()
    a.create_tenant(tenant, "Agents Inc")
    email = f"{tenant}@agents.example"
    invited = a.invite_agent(tenant, email, "Ingrid", send_email=False)
    assert invited["status"] == "FORCE_CHANGE_PASSWORD" and invited["tenant"] == tenant
    idp = local_hub.aws_client("cognito-idp")
    first = idp.initiate_auth(
        ClientId=local_hub.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": invited["temporary_password"]},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = idp.respond_to_auth_challenge(
        ClientId=local_hub.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Ingrid-Chose-1!"},
    )
    token = done["AuthenticationResult"]["IdToken"]
    me = local_hub.request("GET", local_hub.api_url + "/me", headers={"Authorization": token})
    assert me["tenant"] == tenant and me["name"] == "Ingrid"

    with pytest.raises(AdminError, match="already has an account"):
        a.invite_agent(tenant, email, "Ingrid again", send_email=False)
    with pytest.raises(AdminError, match="no tenant"):
        a.invite_agent("no-such-tenant", f"x-{email}", "X", send_email=False)

    assert a.disable_agent(email) == {"username": email, "enabled": False}
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(
            ClientId=local_hub.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": "Ingrid-Chose-1!"},
        )
    with pytest.raises(AdminError, match="no agent"):
        a.disable_agent(f"nobody-{email}")


def test_the_command_line_against_the_local_stack(
    local_hub: LocalHub, target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = _tenant_id()
    where = [
        "--endpoint-url",
        local_hub.moto_url,
        "--tenants-table",
        target.tenants_table,
        "--user-pool-id",
        target.user_pool_id,
        "--region",
        target.region,
    ]
    assert admin.main([*where, "tenant", "create", tenant, "--name", "CLI Co", "--origin", "https://cli.example"]) == 0
    created = capsys.readouterr().out
    assert f"tenant_id: {tenant}" in created and "embed_snippet: <script" in created
    assert admin.main([*where, "--json", "tenant", "list"]) == 0
    listed = {t["tenant_id"]: t for t in json.loads(capsys.readouterr().out)}
    assert listed[tenant]["name"] == "CLI Co"
    assert listed[tenant]["allowed_origins"] == ["https://cli.example"]
    assert admin.main([*where, "tenant", "create", tenant, "--name", "Again"]) == 2
    assert f"tenant {tenant!r} already exists" in capsys.readouterr().err


def test_a_deployed_stage_is_found_through_its_stack_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--stage` reads the table and pool from the stateful stack's outputs (CloudFormation)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    cfn = boto3.session.Session().client("cloudformation", region_name="eu-north-1")
    outputs = {
        "TenantsTableName": "flow-hub-dev-tenants",
        "UserPoolId": "eu-north-1_abc",
        "SiteUrl": "https://d1.example",
    }
    with Stubber(cfn) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "FlowHub-dev-Stateful",
                        "CreationTime": "2024-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                    }
                ]
            },
            {"StackName": "FlowHub-dev-Stateful"},
        )
        stub.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id FlowHub-prod-Stateful does not exist", 400
        )
        t = admin.target_for_stage("dev", None, cfn)
        assert (t.tenants_table, t.user_pool_id, t.site_url, t.region, t.endpoint_url) == (
            "flow-hub-dev-tenants",
            "eu-north-1_abc",
            "https://d1.example",
            "eu-north-1",
            None,
        )
        with pytest.raises(AdminError, match="make deploy STAGE=prod"):
            admin.target_for_stage("prod", None, cfn)


def test_no_target_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert admin.main(["tenant", "list"]) == 2
    assert "--stage STAGE, or --tenants-table and --user-pool-id" in capsys.readouterr().err
