"""What the local stack sets up around the app: its environment, Cognito, the widget secret.

Cognito lives in moto's memory and is recreated on every start, but deterministically:
moto is told to derive pool and client ids from their settings (HASH strategy) and its
random generator is seeded before the demo users are created, so the pool id, the client
id and the agents' `sub` are the same after every restart. ID tokens issued before a
restart therefore stay valid until they expire (moto signs with a fixed key); refresh
tokens do not survive, and neither do users added by hand.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
DEMO_TENANT = "global"
DEMO_TENANT_NAME = "Global demo"
DEMO_WIDGET_KEY = "wk_global_demo"
DEMO_PASSWORD = "Demo-agent-1!"  # noqa: S105 - documented demo sign-in of a local-only pool
DEMO_AGENTS = (("agent@global.demo", "Demo Agent"), ("agent2@global.demo", "Demo Agent 2"))
USER_POOL_NAME = "flow-hub-local"
APP_CLIENT_NAME = "flow-hub-local-web"
# Seeds moto's random generator before the users are created: stable `sub`s.
_COGNITO_SEED = 20241111

TABLE_VARS = {
    "CONNECTIONS_TABLE": "connections",
    "CONVERSATIONS_TABLE": "conversations",
    "MESSAGES_TABLE": "messages",
    "PRESENCE_TABLE": "presence",
    "TENANTS_TABLE": "tenants",
}
DEFAULT_WIDGET_SECRET_ID = "flow-hub-local-widget-secret"  # noqa: S105 - a name, not a secret

# Given to the moto subprocess: ids derived from settings instead of random.
MOTO_ENV = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def read_chalice_config(root: Path) -> dict[str, Any]:
    path = root / ".chalice" / "config.json"
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def config_environment(config: dict[str, Any], stage: str = "dev") -> dict[str, str]:
    """Top-level `environment_variables` overlaid with the stage's, as chalice merges them."""
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages") or {}).get(stage, {}).get("environment_variables") or {})
    return {k: str(v) for k, v in env.items()}


@dataclass(frozen=True)
class CognitoSetup:
    user_pool_id: str
    client_id: str
    agents: tuple[tuple[str, str], ...]
    password: str
    subs: dict[str, str] = field(default_factory=dict)  # username → Cognito sub


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def setup_cognito(moto_url: str) -> CognitoSetup:
    """The user pool (custom attribute `tenant`), a public app client with
    USER_PASSWORD_AUTH, and the two demo agents with permanent passwords."""
    idp = _client("cognito-idp", moto_url)
    pool_id: str = idp.create_user_pool(
        PoolName=USER_POOL_NAME,
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
        AutoVerifiedAttributes=["email"],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
    )["UserPool"]["Id"]
    client_id: str = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=APP_CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified", "name", "custom:tenant"],
        WriteAttributes=["name"],
    )["UserPoolClient"]["ClientId"]
    seed = urllib.request.Request(f"{moto_url}/moto-api/seed?a={_COGNITO_SEED}", method="POST")  # noqa: S310
    urllib.request.urlopen(seed, timeout=5).close()  # noqa: S310 - moto's own http URL
    subs: dict[str, str] = {}
    for username, name in DEMO_AGENTS:
        created = idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
                {"Name": "custom:tenant", "Value": DEMO_TENANT},
            ],
            TemporaryPassword=DEMO_PASSWORD,
            MessageAction="SUPPRESS",
        )
        attrs = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
        subs[username] = attrs.get("sub", "")
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True)
    return CognitoSetup(pool_id, client_id, DEMO_AGENTS, DEMO_PASSWORD, subs)


def register_demo_agents(cognito: CognitoSetup) -> None:
    """Puts the demo agents in the tenant's agent directory, as the admin CLI does for real ones
    (owner pickers list them before they ever sign in)."""
    from chalicelib.store.connections import ensure_agent
    from chalicelib.store.tables import bind_tables

    bind_tables()
    for username, name in cognito.agents:
        if cognito.subs.get(username):
            ensure_agent(DEMO_TENANT, cognito.subs[username], name)


def widget_secret_value(data_dir: Path | None) -> str:
    """32 random bytes as hex, kept in `<data-dir>/widget-secret.hex` so widget sessions
    issued before a restart stay valid; a fresh one per start when there is no data dir."""
    if data_dir is None:
        return secrets.token_hex(32)
    path = data_dir / "widget-secret.hex"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    value = secrets.token_hex(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value)
    return value


def ensure_secret(moto_url: str, secret_id: str, value: str) -> None:
    sm = _client("secretsmanager", moto_url)
    try:
        sm.create_secret(Name=secret_id, SecretString=value)
    except sm.exceptions.ResourceExistsException:
        sm.put_secret_value(SecretId=secret_id, SecretString=value)


def hub_environment(
    *,
    config_env: dict[str, str],
    moto_url: str,
    dynamodb_endpoint: str | None,
    management_endpoint: str,
    stage: str,
    cognito: CognitoSetup,
    widget_secret_id: str,
) -> dict[str, str]:
    """The environment the handlers read, as the deployed Lambdas would have it."""
    env = dict(config_env)
    for var, kind in TABLE_VARS.items():
        env.setdefault(var, f"flow-hub-local-{kind}")
    env.update(DUMMY_CREDENTIALS)
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": moto_url,
            "HUB_STAGE": stage,
            "WS_MANAGEMENT_ENDPOINT": management_endpoint,
            "COGNITO_USER_POOL_ID": cognito.user_pool_id,
            "COGNITO_APP_CLIENT_ID": cognito.client_id,
            "COGNITO_JWKS_URL": f"{moto_url}/{cognito.user_pool_id}/.well-known/jwks.json",
            "WIDGET_SECRET_ID": widget_secret_id,
            "POWERTOOLS_SERVICE_NAME": "flow-hub",
            "POWERTOOLS_METRICS_NAMESPACE": "FlowHub",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYNAMODB_CONFIG": str(Path(__file__).with_name("pynamodb_settings.py")),
        }
    )
    if dynamodb_endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    return env


def apply_environment(env: dict[str, str]) -> None:
    """Sets the hub process's environment before the app is imported."""
    for var in list(os.environ):
        # Nothing from the developer's shell may point a client at real AWS.
        if var.startswith("AWS_ENDPOINT_URL") or var in ("POWERTOOLS_DEV", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(var, None)
    os.environ.update(env)
