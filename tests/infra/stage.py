"""A stage rehearsed offline: what one stage deploys, provisioned on moto from the templates
themselves, with each function running from the exact Lambda zip in its own interpreter.

- `Deployable`: the templates and the zip of a stage (from `cdk synth`, or from an old
  `chalice package` output, to show what the checks catch there).
- `provision`: every table and index through `CreateTable` with the template's own
  properties (checked first against the key-schema rules DynamoDB enforces and moto does
  not), the user pool and its client, the widget secret.
- `Container`: one function's cold start and warm invocations (`lambda_runner.py`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tests.infra.cfn import ACCOUNT, REGION, Resolver, exports_of

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("lambda_runner.py")
# What the Lambda Python runtime puts on the path besides the package (boto3 and its dependencies).
WS_API_ID = "wsapi00001"
REST_API_ID = "restapi001"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class Deployable:
    stage: str
    data: dict[str, Any]  # the template with the tables, user pool and secret
    app: dict[str, Any]  # the template with the functions
    package: Path
    origin: str

    def resources(self, template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        return self.resources(self.app, "AWS::Serverless::Function")


def from_chalice_package(directory: Path, stage: str) -> Deployable:
    """An old `chalice package --merge-template` output: one template, `deployment.zip` beside it."""
    template = json.loads((directory / stage / "sam.json").read_text())
    return Deployable(stage, template, template, directory / stage / "deployment.zip", f"chalice package {directory}")


def from_cloud_assembly(out: Path, stage: str) -> Deployable:
    """The stage's two stacks from `cdk synth`, and the Lambda zip their functions deploy."""
    data = json.loads((out / f"FlowHub-{stage}-Stateful.template.json").read_text())
    app = json.loads((out / f"FlowHub-{stage}-Stateless.template.json").read_text())
    keys = {
        f["Properties"]["CodeUri"]["Key"] for f in app["Resources"].values() if f["Type"] == "AWS::Serverless::Function"
    }
    assert len(keys) == 1, f"every function should deploy the same package, found {keys}"
    manifest = json.loads((out / f"FlowHub-{stage}-Stateless.assets.json").read_text())
    (key,) = keys
    for asset in manifest["files"].values():
        if any(d["objectKey"] == key for d in asset["destinations"].values()):
            return Deployable(stage, data, app, out / asset["source"]["path"], "cdk synth")
    raise AssertionError(f"no asset in cdk.out uploads {key}")


# ---------------------------------------------------------------------------- provisioning
class DynamoDBValidation(AssertionError):
    """A CreateTable request DynamoDB would answer with a ValidationException."""


def check_create_table(request: dict[str, Any]) -> None:
    """DynamoDB's key-schema rules, which moto does not enforce (it accepts RANGE first)."""

    def keys(owner: str, schema: list[dict[str, str]]) -> list[str]:
        types = [k["KeyType"] for k in schema]
        if types not in (["HASH"], ["HASH", "RANGE"]):
            raise DynamoDBValidation(
                f"{owner}: Invalid KeySchema: the first KeySchemaElement must be the HASH key, then at most one "
                f"RANGE key; got {schema}"
            )
        return [k["AttributeName"] for k in schema]

    used = set(keys(f"table {request['TableName']}", request["KeySchema"]))
    for index in request.get("GlobalSecondaryIndexes", []) + request.get("LocalSecondaryIndexes", []):
        used |= set(keys(f"index {index['IndexName']}", index["KeySchema"]))
    defined = {a["AttributeName"] for a in request["AttributeDefinitions"]}
    if used != defined:
        raise DynamoDBValidation(
            f"table {request['TableName']}: AttributeDefinitions {sorted(defined)} must be exactly the key "
            f"attributes {sorted(used)}"
        )


TABLE_PROPERTIES = {
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "SSESpecification",
    "PointInTimeRecoverySpecification",
    "TimeToLiveSpecification",
    "DeletionProtectionEnabled",
    "StreamSpecification",
    "Tags",
}


def create_table_from_template(ddb: Any, props: dict[str, Any]) -> dict[str, Any]:
    """CreateTable (then TTL and PITR) with an AWS::DynamoDB::Table's resolved properties."""
    unknown = set(props) - TABLE_PROPERTIES
    assert not unknown, f"the rehearsal does not know how to create {sorted(unknown)}"
    request: dict[str, Any] = {
        k: props[k] for k in ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode") if k in props
    }
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            request[kind] = [{k: g[k] for k in ("IndexName", "KeySchema", "Projection")} for g in props[kind]]
    sse = props.get("SSESpecification")
    if sse:
        request["SSESpecification"] = {
            "Enabled": sse["SSEEnabled"],
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
        }
    if "DeletionProtectionEnabled" in props:
        request["DeletionProtectionEnabled"] = props["DeletionProtectionEnabled"]
    stream = props.get("StreamSpecification")
    if stream:  # CloudFormation names only the view type; the API also wants it switched on
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    check_create_table(request)
    ddb.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=request["TableName"], TimeToLiveSpecification=ttl)
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr:
        ddb.update_continuous_backups(
            TableName=request["TableName"],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": pitr["PointInTimeRecoveryEnabled"]},
        )
    return request


def moto_client(service: str, moto_url: str) -> Any:
    return boto3.session.Session().client(
        service,
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class Provisioned:
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # TableName -> CreateTable request
    user_pool_id: str = ""
    client_id: str = ""
    secret_arn: str = ""
    data: Resolver | None = None
    app: Resolver | None = None


def provision(d: Deployable, moto_url: str) -> Provisioned:
    """Creates on moto what the stage's data template declares, and returns resolvers that
    know the physical ids (for the app template's environment and policies)."""
    out = Provisioned()
    data = Resolver(d.data)
    idp = moto_client("cognito-idp", moto_url)
    for logical, res in d.resources(d.data, "AWS::Cognito::UserPool").items():
        p = data.resolve(res.get("Properties", {}))
        request = {"PoolName": p.get("UserPoolName", logical)}
        for key in ("Schema", "Policies", "AdminCreateUserConfig", "UsernameAttributes", "AutoVerifiedAttributes"):
            if key in p:
                request[key] = p[key]
        out.user_pool_id = idp.create_user_pool(**request)["UserPool"]["Id"]
        data.refs[logical] = out.user_pool_id
    for logical, res in d.resources(d.data, "AWS::Cognito::UserPoolClient").items():
        p = data.resolve(res["Properties"])
        request = {"UserPoolId": p["UserPoolId"], "ClientName": p.get("ClientName", logical)}
        for key in ("ExplicitAuthFlows", "ReadAttributes", "WriteAttributes", "GenerateSecret"):
            if key in p:
                request[key] = p[key]
        out.client_id = idp.create_user_pool_client(**request)["UserPoolClient"]["ClientId"]
        data.refs[logical] = out.client_id
    sm = moto_client("secretsmanager", moto_url)
    for logical, res in d.resources(d.data, "AWS::SecretsManager::Secret").items():
        p = data.resolve(res["Properties"])
        out.secret_arn = sm.create_secret(Name=p["Name"], SecretString=secrets.token_hex(32))["ARN"]
        data.refs[logical] = out.secret_arn
    ddb = moto_client("dynamodb", moto_url)
    for res in d.resources(d.data, "AWS::DynamoDB::Table").values():
        request = create_table_from_template(ddb, data.resolve(res["Properties"]))
        out.tables[request["TableName"]] = request
    out.data = data
    if d.app is d.data:
        out.app = data
    else:
        out.app = Resolver(d.app, exports=exports_of(d.data, data))
    out.app.refs.update({"WebsocketAPI": WS_API_ID, "RestAPI": REST_API_ID})
    return out


# ---------------------------------------------------------------------------- containers
class ContainerError(AssertionError):
    pass


class Container:
    """One function, cold-started in a fresh interpreter with only the stdlib, the runtime's
    boto3/botocore and the unpacked package on its path."""

    def __init__(self, name: str, handler: str, env: dict[str, str], task: Path, runtime: Path, log: Path) -> None:
        self.name = name
        self.log = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-S", "-I", "-B", str(RUNNER), str(task), str(runtime), handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=str(task),
            text=True,
        )
        self.handler = handler
        self.init_ms: int | None = None

    def ready(self) -> Container:
        """Waits for the cold start (the import of the handler's module) to finish."""
        if self.init_ms is None:
            hello = self._read()
            if not hello.get("ready"):
                self.close()
                raise ContainerError(
                    f"{self.name} ({self.handler}) failed at import (cold start):\n{hello.get('error')}"
                )
            self.init_ms = int(hello["init_ms"])
        return self

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise ContainerError(f"{self.name} exited: {self.log.read_text(errors='replace')[-3000:]}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def invoke(self, event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        self.ready()
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"event": event, "context": context}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def lambda_environment(
    d: Deployable, logical: str, resolved_env: dict[str, Any], props: dict[str, Any], task: Path, runtime: Path
) -> dict[str, str]:
    """What Lambda itself sets in a function's environment, then the function's own variables."""
    name = f"{d.stage}-{logical}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{props.get('Runtime', 'python3.11')}",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "_HANDLER": props["Handler"],
        **DUMMY_CREDENTIALS,
    }
    for key, value in resolved_env.items():
        env[key] = "" if value is None else str(value)
    return env


API_HOST = re.compile(rf"^https://(?P<api>[^.]+)\.execute-api\.{REGION}\.amazonaws\.com/(?P<stage>[^/]+)$")


def context_for(d: Deployable, logical: str, props: dict[str, Any]) -> dict[str, Any]:
    name = f"{d.stage}-{logical}"
    return {
        "function_name": name,
        "function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "memory_mb": props.get("MemorySize", 128),
        "log_group": f"/aws/lambda/{name}",
        "timeout_s": props.get("Timeout", 3),
    }


def offline_resolvers(d: Deployable) -> Resolver:
    """The app template's resolver with made-up physical ids: enough for a cold start, which
    reads its environment but calls nothing."""
    data = Resolver(d.data)
    app = data if d.app is d.data else Resolver(d.app, exports=exports_of(d.data, data))
    app.refs.update({"WebsocketAPI": WS_API_ID, "RestAPI": REST_API_ID})
    return app
