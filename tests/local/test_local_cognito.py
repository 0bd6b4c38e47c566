"""The local user pool is configured like the deployed one, and moto enforces it: nobody
signs up, an agent cannot move themselves to another tenant, passwords and token lifetimes
follow the deployed policy."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.testing import LocalHub


@pytest.fixture(scope="module")
def deployed(cloud_assembly: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The prod user pool and app client as the synthesized stack deploys them."""
    template = json.loads((cloud_assembly / "FlowHub-prod-Stateful.template.json").read_text())
    by_type = {r["Type"]: r["Properties"] for r in template["Resources"].values()}
    return by_type["AWS::Cognito::UserPool"], by_type["AWS::Cognito::UserPoolClient"]


@pytest.fixture(scope="module")
def idp(fake_hub: LocalHub) -> Any:
    return fake_hub.aws_client("cognito-idp")


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_the_local_pool_and_client_are_configured_like_the_deployed_ones(
    fake_hub: LocalHub, idp: Any, deployed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    POOL, CLIENT = deployed
    pool = idp.describe_user_pool(UserPoolId=fake_hub.user_pool_id)["UserPool"]
    client = idp.describe_user_pool_client(UserPoolId=fake_hub.user_pool_id, ClientId=fake_hub.client_id)[
        "UserPoolClient"
    ]
    assert (
        pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
        is POOL["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
        is True
    )
    deployed_policy = POOL["Policies"]["PasswordPolicy"]
    for rule in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"):
        # CloudFormation and Cognito read an unset rule as false.
        assert pool["Policies"]["PasswordPolicy"][rule] is deployed_policy.get(rule, False), rule
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == deployed_policy["MinimumLength"]
    tenant = next(a for a in pool["SchemaAttributes"] if a["Name"] == "custom:tenant")
    deployed_tenant = next(a for a in POOL["Schema"] if a["Name"] == "tenant")
    # Set once, by the administrator who creates the agent; the client cannot write it either.
    assert tenant["Mutable"] is deployed_tenant["Mutable"] is False
    for key in ("ExplicitAuthFlows", "ReadAttributes", "WriteAttributes"):
        assert sorted(client[key]) == sorted(CLIENT[key]), key
    assert "custom:tenant" not in client["WriteAttributes"]
    assert client["IdTokenValidity"] == CLIENT["IdTokenValidity"]
    assert client["TokenValidityUnits"]["IdToken"] == CLIENT["TokenValidityUnits"]["IdToken"]
    assert "ClientSecret" not in client


def test_nobody_can_sign_up(fake_hub: LocalHub, idp: Any) -> None:
    with pytest.raises(ClientError) as refused:
        idp.sign_up(
            ClientId=fake_hub.client_id,
            Username="intruder@evil.example",
            Password="Intruder-password-1!",
            UserAttributes=[{"Name": "custom:tenant", "Value": "global"}],
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "SignUp is not permitted for this user pool"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=fake_hub.user_pool_id, Username="intruder@evil.example")


def test_an_agent_cannot_write_their_own_tenant(
    fake_hub: LocalHub, idp: Any, deployed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, CLIENT = deployed
    username = "tenant-test@global.demo"
    idp.admin_create_user(
        UserPoolId=fake_hub.user_pool_id,
        Username=username,
        UserAttributes=[{"Name": "custom:tenant", "Value": "global"}, {"Name": "name", "Value": "Tess"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=fake_hub.user_pool_id, Username=username, Password=fake_hub.agent_password, Permanent=True
    )
    tokens = idp.initiate_auth(
        ClientId=fake_hub.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": fake_hub.agent_password},
    )["AuthenticationResult"]
    with pytest.raises(ClientError) as refused:
        idp.update_user_attributes(
            AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "custom:tenant", "Value": "other-tenant"}]
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    # The name is the client's to write.
    idp.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "name", "Value": "Tess B"}])
    attributes = {
        a["Name"]: a["Value"]
        for a in idp.admin_get_user(UserPoolId=fake_hub.user_pool_id, Username=username)["UserAttributes"]
    }
    assert attributes["custom:tenant"] == "global"
    assert attributes["name"] == "Tess B"
    # ID tokens live as long as the deployed client says.
    claims = _claims(tokens["IdToken"])
    assert claims["exp"] - claims["iat"] == CLIENT["IdTokenValidity"] * 60
    assert claims["custom:tenant"] == "global"


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Mixed-case-12!", True),
        ("all-lowercase-1!", False),  # the deployed policy wants upper and lower case
        ("ALL-UPPERCASE-1!", False),
        ("Short-1!", False),  # under 12 characters
        ("No-digits-in-here!", False),
        ("NoSymbols12345", False),
    ],
)
def test_passwords_follow_the_deployed_policy(fake_hub: LocalHub, idp: Any, password: str, accepted: bool) -> None:
    username = "policy-test@global.demo"
    with contextlib.suppress(idp.exceptions.UsernameExistsException):
        idp.admin_create_user(UserPoolId=fake_hub.user_pool_id, Username=username, MessageAction="SUPPRESS")
    try:
        idp.admin_set_user_password(
            UserPoolId=fake_hub.user_pool_id, Username=username, Password=password, Permanent=True
        )
        outcome = True
    except idp.exceptions.InvalidPasswordException:
        outcome = False
    assert outcome is accepted
