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
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from chalice.config import Config

from local.lambda_runtime import ACCOUNT_ID
from local.sigv4 import FunctionCredentials

REGION = "us-east-1"
DEMO_TENANT = "global"
DEMO_TENANT_NAME = "Global demo"
DEMO_WIDGET_KEY = "wk_global_demo"
DEMO_PASSWORD = "Demo-agent-1!"  # noqa: S105 - documented demo sign-in of a local-only pool
DEMO_AGENTS = (("agent@global.demo", "Demo Agent"), ("agent2@global.demo", "Demo Agent 2"))
USER_POOL_NAME = "flow-hub-local-agents"
APP_CLIENT_NAME = "dashboard"
# The deployed pool's settings (infra, `identity`), which tests/local/test_local_cognito.py
# compares with: agents are created by an administrator only (moto enforces it through
# local.moto_patches), cannot write their own tenant, and sign in with the same password
# policy and token lifetimes. Cognito (and CloudFormation) reads an unset Require* as false,
# moto as true: they are spelled out.
USER_POOL: dict[str, Any] = {
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "Schema": [
        {
            "Name": "tenant",
            "AttributeDataType": "String",
            "Mutable": False,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        }
    ],
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "RequireUppercase": True,
            "RequireLowercase": True,
        }
    },
}
APP_CLIENT: dict[str, Any] = {
    "GenerateSecret": False,
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "ReadAttributes": ["custom:tenant", "email", "email_verified", "name"],
    "WriteAttributes": ["name"],
    "IdTokenValidity": 60,
    "TokenValidityUnits": {"IdToken": "minutes"},
}
# Seeds moto's random generator before the users are created: stable `sub`s.
_COGNITO_SEED = 20241111

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


def chalice_config(on_disk: dict[str, Any], stage: str, function: str = "api_handler") -> Config:
    """chalice's view of `.chalice/config.json` for one function of one stage."""
    return Config(chalice_stage=stage, function_name=function, config_from_disk=on_disk or None)


def stage_variables(root: Path, stage: str = "dev") -> dict[str, str]:
    """The environment variables `.chalice/config.json` gives a stage's functions (e.g. the
    table names the local stack creates), as chalice merges them."""
    return {
        k: str(v) for k, v in (chalice_config(read_chalice_config(root), stage).environment_variables or {}).items()
    }


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
    """The user pool and app client, configured as the deployed ones (`USER_POOL`,
    `APP_CLIENT`), and the two demo agents with permanent passwords."""
    idp = _client("cognito-idp", moto_url)
    pool_id: str = idp.create_user_pool(PoolName=USER_POOL_NAME, **USER_POOL)["UserPool"]["Id"]
    client_id: str = idp.create_user_pool_client(UserPoolId=pool_id, ClientName=APP_CLIENT_NAME, **APP_CLIENT)[
        "UserPoolClient"
    ]["ClientId"]
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


def stack_environment(
    *,
    moto_url: str,
    dynamodb_endpoint: str | None,
    management_endpoint: str,
    cognito: CognitoSetup,
    widget_secret_id: str,
) -> dict[str, str]:
    """What the stack wires into every function (its outputs), and where the local AWS is."""
    env = {
        # Stack outputs, as the deployed stack sets them.
        "WS_MANAGEMENT_ENDPOINT": management_endpoint,
        "COGNITO_USER_POOL_ID": cognito.user_pool_id,
        "COGNITO_APP_CLIENT_ID": cognito.client_id,
        "WIDGET_SECRET_ID": widget_secret_id,
        # Local only: every AWS client goes to moto (never to real AWS), and botocore reads
        # no shared config or credentials file of the developer's.
        "AWS_ENDPOINT_URL": moto_url,
        "COGNITO_JWKS_URL": f"{moto_url}/{cognito.user_pool_id}/.well-known/jwks.json",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # Local only: a function's process runs its concurrent invocations on threads, which
        # share one PynamoDB connection pool (a Lambda container runs one at a time).
        "PYNAMODB_CONFIG": str(Path(__file__).with_name("pynamodb_settings.py")),
    }
    if dynamodb_endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    return env


def function_environment(
    config: Config, function_name: str, handler: str, stack: dict[str, str], credentials: FunctionCredentials
) -> dict[str, str]:
    """Everything one function's process sees, built from nothing: the chalice configuration
    of its stage (top level, stage and `lambda_functions.<name>`, merged as chalice deploys
    it), the stack's values, and what the Lambda runtime sets itself. Nothing of the hub's
    own environment or the developer's shell gets in."""
    env = {k: str(v) for k, v in (config.environment_variables or {}).items()}
    env.update(stack)
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.lambda_memory_size or 128),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
            "_HANDLER": handler or "app.app",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
    )
    if os.environ.get("FLOW_GC_STATS"):  # the one local diagnostic let through (`local/procutil.py`)
        env["FLOW_GC_STATS"] = os.environ["FLOW_GC_STATS"]
    return env


def hub_environment(config: Config, stack: dict[str, str]) -> dict[str, str]:
    """The hub process's own environment, for the setup hooks it runs (tables, demo tenant),
    and the user pool the REST API's Cognito authorizer names when the hub imports app.py: the
    hub plays API Gateway (`local.rest_gateway`), which knows the pool; no function needs it."""
    pool = stack.get("COGNITO_USER_POOL_ID", "")
    return {
        **{k: str(v) for k, v in (config.environment_variables or {}).items()},
        **stack,
        **DUMMY_CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        # chalicelib.platform.auth.USER_POOL_ARN_ENV
        "COGNITO_USER_POOL_ARN": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{pool}",
    }


def apply_environment(env: dict[str, str]) -> None:
    """Sets the hub process's environment before the app is imported."""
    for var in list(os.environ):
        # Nothing from the developer's shell may point a client at real AWS.
        if var.startswith("AWS_ENDPOINT_URL") or var in ("POWERTOOLS_DEV", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(var, None)
    os.environ.update(env)
