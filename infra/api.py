"""APIs: the Chalice app (`app.py`) as deployed — its functions, the WebSocket and REST APIs.

The `chalice.cdk.Chalice` construct packages the app (the same `chalice package` output
the SAM transform deploys) and includes it in the stack. This module then gives every
generated function:

- its memory size, chosen per function (`MEMORY_MB`, with the reasons);
- its own IAM role with only what that function uses (`ACCESS`): the tables it reads or
  writes, the query indexes by name, the widget signing key, posting to connections;
- the stack's values in its environment: table names, the Cognito ids, the widget secret,
  and `WS_MANAGEMENT_ENDPOINT`, the WebSocket API's management endpoint, so REST and
  scheduled functions can push (they never see a WebSocket event);
- a log group with retention; scheduled functions an on-failure queue.

Both API stages get throttling (tighter on the public entry points `POST /widget/session`
and `$connect`) and JSON access logs. The REST API's agent routes are authorized by API
Gateway's Cognito user-pool authorizer on the stack's pool: no function runs for that.

The package leaves out what the Lambda runtime provides (boto3, botocore and their
dependencies); `tests/infra/test_artifact.py` runs the exact zip this builds.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnOutput, CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

from infra.data import Data
from infra.identity import Identity
from infra.nag import suppress
from infra.runtime import CHALICE_CONFIG, ROOT, TABLE_ENV_VARS
from infra.settings import StageSettings

# Python distributions the Lambda Python runtime already has on its path (boto3 with its
# dependencies); the package leaves them out. Names are top-level entries of the zip.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
RUNTIME_PROVIDED_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "six", "urllib3")
# Where Lambda unpacks the package, and the (fixed) time stamp of the bytecode added to it, so
# that the same sources give the same zip.
LAMBDA_TASK_ROOT = "/var/task"
BYTECODE_DATE = (2020, 1, 1, 0, 0, 0)

# Chalice needs a role ARN when it does not manage roles; every function's role is replaced below.
_PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/replaced-by-infra-api"
SCHEDULE_TIMEOUT_SECONDS = 60
SCHEDULE_RETRIES = 1
# A scheduled event older than this is stale: the next run does the same work.
SCHEDULE_MAX_EVENT_AGE = Duration.minutes(5)
# Stream functions (`@app.on_dynamodb_record`): a failed batch is retried this often, then sent
# to the failures queue; a record older than this is skipped (a later batch pushes newer state).
STREAM_RETRIES = 2
STREAM_MAX_RECORD_AGE_SECONDS = 60
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


@dataclass(frozen=True)
class Access:
    """What one function may touch. `write` tables are read and written; `read` only read."""

    write: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    widget_secret: bool = False
    post_to_connections: bool = False
    scheduled: bool = False
    stream: str | None = None  # the table whose DynamoDB stream invokes the function


_LIVE = ("connections", "conversations", "messages", "presence", "counters")
_WORK = ("callbacks", "tickets", "history")
# The agent's day: canned replies, hours, identity secret, CSAT days (desk); profiles and search
# terms (directory). Whoever pushes counters reads the desk too (the team's business hours).
_DAY = ("desk", "directory")

# Keyed by the logical ids Chalice gives app.py's functions. A function without an entry
# fails the synth, so a new route or schedule cannot ship without a decision here.
ACCESS: dict[str, Access] = {
    # Verifies the agent token or widget session, binds the connection, announces presence; an
    # agent coming online takes waiting chats (routing writes the owner change's history record).
    # Whoever pushes counters or the widgets' offer reads the desk (the team's business hours).
    "WebsocketConnect": Access(
        write=(*_LIVE, "history"), read=("tenants", "desk"), widget_secret=True, post_to_connections=True
    ),
    # Every live-lane action; a customer's reply reopens the ticket waiting on them; a new
    # conversation points its customer's profile at it; a note's mentions are told; new
    # conversations per customer are counted in `limits`.
    "WebsocketMessage": Access(
        write=(*_LIVE, *_WORK, "directory", "limits"), read=("tenants", "desk"), post_to_connections=True
    ),
    "WebsocketDisconnect": Access(write=(*_LIVE, "history"), read=("tenants", "desk"), post_to_connections=True),
    # The dashboard's REST API and the widget's session/callback/rating routes; /hub/mode and
    # /tenant (and /hours with a time zone) write the tenant; widget sessions per client and
    # agents' writes are counted in `limits`.
    "APIHandler": Access(
        write=(*_LIVE, *_WORK, *_DAY, "tenants", "limits"), widget_secret=True, post_to_connections=True
    ),
    # Marks overdue callbacks and alerts available agents (gone connections are cleaned up).
    "EscalateOverdueCallbacks": Access(
        write=("callbacks", "history", "counters", "connections", "conversations"),
        read=("tenants", "presence", "desk"),
        post_to_connections=True,
        scheduled=True,
    ),
    # Recounts each tenant's open work from the sparse indexes and pushes changed counters.
    "RecomputeCounters": Access(
        write=("counters", "connections", "conversations"),
        read=("tenants", "tickets", "callbacks", "presence", "desk"),
        post_to_connections=True,
        scheduled=True,
    ),
    # Marks silent agents away/offline and switches off typing indicators left on; tells the
    # widgets when nobody can answer any more, or the team opened or closed by the clock.
    "SweepDrift": Access(
        write=("presence", "conversations", "counters", "connections"),
        read=("tenants", "desk"),
        post_to_connections=True,
        scheduled=True,
    ),
    # The counters table's stream (~1 s batches): each changed tenant's current counters to its
    # agents' dashboards. A gone connection found while posting is forgotten, which, for an
    # agent's last one, runs what a presence change runs (routing, the widgets' offer).
    "PushCounters": Access(
        write=("counters", "connections", "conversations", "messages", "presence", "history"),
        read=("tenants", "desk"),
        post_to_connections=True,
        stream="counters",
    ),
    # Gives vanished agents' chats back to the queue (a line in the thread, a history record),
    # then the queue to agents with a free place (chalicelib/work/routing.py).
    "RouteQueue": Access(
        write=("conversations", "messages", "presence", "history", "counters", "connections"),
        read=("tenants",),
        post_to_connections=True,
        scheduled=True,
    ),
}

# Memory (MB) of each function, which also sets its CPU share (Lambda gives 1 vCPU at 1,769 MB,
# in proportion below): the cold start (imports, building the hub: CPU-bound) and the handler's
# own work run faster with more. `python -m bench.import_time` prints each function's init time
# and peak RSS (docs/architecture.md, "Memory per function"); every
# function peaks far below 512 MB, so the sizes are set by who waits, not by what fits:
# - someone waits on the answer (an agent or customer connecting, each frame, the dashboard's
#   REST calls): 1024 MB, about 0.58 vCPU, roughly halves the cold start of 512 MB at twice
#   the GB-seconds of a ~10 ms warm invocation, which is what most invocations are;
# - nobody waits ($disconnect, whose client is gone; the schedules, whose containers stay warm
#   because they run every 1-5 minutes): 512 MB, half the GB-seconds, twice the peak RSS in headroom;
# - the counters stream (PushCounters): every agent connection of a tenant waits on its posts
#   (up to 1,000 through the Sender's 64 threads, mostly network wait but each post's signing
#   and TLS is CPU): 1024 MB, like the functions someone waits on.
MEMORY_MB: dict[str, int] = {
    "WebsocketConnect": 1024,
    "WebsocketMessage": 1024,
    "WebsocketDisconnect": 512,
    "APIHandler": 1024,
    "EscalateOverdueCallbacks": 512,
    "RecomputeCounters": 512,
    "SweepDrift": 512,
    "RouteQueue": 512,
    "PushCounters": 1024,
}

READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
# ConditionCheckItem: a transaction may require an item to exist without writing it (a frame's
# presence write checks its connection item: `store/connections.touch_presence`).
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")

REST_ACCESS_LOG_FORMAT = apigateway.AccessLogFormat.json_with_standard_fields(
    caller=False,
    http_method=True,
    ip=True,
    protocol=True,
    request_time=True,
    resource_path=True,
    response_length=True,
    status=True,
    user=False,
).to_string()
WS_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "eventType": "$context.eventType",
        "routeKey": "$context.routeKey",
        "connectionId": "$context.connectionId",
        "status": "$context.status",
        "error": "$context.error.message",
        "integrationError": "$context.integrationErrorMessage",
    },
    separators=(",", ":"),
)


def trim_runtime_provided(package: Path) -> None:
    """Rewrites the deployment zip without the distributions the Lambda runtime provides, and
    without the `__pycache__` Chalice copies from the build machine's `chalicelib/` (bytecode
    checked against that machine's time stamps, so stale in the zip; `add_bytecode` adds its own)."""

    def provided(name: str) -> bool:
        top = name.split("/", 1)[0]
        module = top.removesuffix(".py")
        dist = top.split("-", 1)[0]
        return (
            module in RUNTIME_PROVIDED
            or (dist in RUNTIME_PROVIDED_DISTRIBUTIONS and top.endswith((".dist-info", ".data")))
            or "__pycache__/" in name
        )

    trimmed = package.with_suffix(".trimmed.zip")
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(trimmed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not provided(info.filename):
                dst.writestr(info, src.read(info.filename))
    trimmed.replace(package)


def add_bytecode(package: Path) -> int:
    """Adds the compiled bytecode of every module to the deployment zip; returns how many.

    Lambda unpacks the zip into a read-only `/var/task`, so without `__pycache__` in it every cold
    start compiles every module of the package again (`bench.import_time --package`). The `.pyc`
    files are "unchecked-hash" (PEP 552): Python uses them without comparing them with the source's
    timestamp, which a zip keeps only to 2 seconds. They are compiled by the Python that builds the
    package, which must be the functions' runtime (`tests/infra/test_artifact.py` checks both);
    tracebacks name the files where Lambda puts them (`/var/task/...`). `compileall` does the
    work; only the zip round trip is ours.
    """
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(package) as src:
            src.extractall(work)
        # Files that do not compile for this Python (none today) are left as source only.
        compileall.compile_dir(
            work,
            quiet=2,
            stripdir=str(work),
            prependdir=LAMBDA_TASK_ROOT,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        compiled = sorted(p for p in work.rglob("*.pyc") if p.parent.name == "__pycache__")
        with zipfile.ZipFile(package, "a", zipfile.ZIP_DEFLATED) as dst:
            for pyc in compiled:
                info = zipfile.ZipInfo(pyc.relative_to(work).as_posix(), date_time=BYTECODE_DATE)
                info.external_attr = 0o644 << 16  # readable by the function's user, like the sources
                dst.writestr(info, pyc.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return len(compiled)


class HubChalice(Chalice):
    """Chalice's construct, whose package leaves out what the Lambda runtime provides and carries
    its modules' bytecode."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        # The construct packages into `<cwd>/chalice.out`: keep that under build/, wherever the synth runs.
        work, before = ROOT / "build", os.getcwd()
        work.mkdir(exist_ok=True)
        os.chdir(work)
        try:
            super().__init__(scope, construct_id, **kwargs)
        finally:
            os.chdir(before)

    def _package_app(self) -> None:
        super()._package_app()
        package = Path(self._sam_package_dir) / "deployment.zip"
        trim_runtime_provided(package)
        add_bytecode(package)
        self.package = package


def chalice_stage_config(stage: str) -> dict[str, Any]:
    """The stage's section of `.chalice/config.json`, with the top-level environment merged in.

    The Chalice construct names the Chalice stage after the CDK scope, so the stage's own
    settings (memory, timeout, X-Ray, environment) are handed over explicitly.
    """
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    section = dict(config["stages"][stage])
    if "lambda_functions" in section or "lambda_functions" in config:
        raise ValueError("per-function settings belong in infra/api.py (ACCESS, timeouts), not .chalice/config.json")
    env = {**config.get("environment_variables", {}), **section.pop("environment_variables", {})}
    return {**section, "environment_variables": env}


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageSettings, data: Data, identity: Identity
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        config = chalice_stage_config(stage.name)
        self.tracing = bool(config.get("xray"))
        env = {
            **config["environment_variables"],
            **{TABLE_ENV_VARS[kind]: table.table_name for kind, table in data.tables.items()},
            "COGNITO_USER_POOL_ID": identity.user_pool.user_pool_id,
            "COGNITO_APP_CLIENT_ID": identity.client.user_pool_client_id,
            "WIDGET_SECRET_ID": identity.widget_secret.secret_arn,
            # The namespace the alarms and the dashboard (infra/monitoring.py) read.
            "POWERTOOLS_METRICS_NAMESPACE": stage.metrics_namespace,
        }
        self.chalice = HubChalice(
            self,
            "Chalice",
            source_dir=str(ROOT),
            stage_config={
                **config,
                "environment_variables": env,
                "manage_iam_role": False,
                "iam_role_arn": _PLACEHOLDER_ROLE,
            },
        )
        template = self.chalice.sam_template
        self.functions: dict[str, CfnResource] = {
            child.node.id: child
            for child in template.node.children
            if isinstance(child, CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
        }
        for table in (ACCESS, MEMORY_MB):
            if set(self.functions) != set(table):
                raise ValueError(
                    "infra/api.py ACCESS and MEMORY_MB must list exactly the app's functions: app has "
                    f"{sorted(self.functions)}, the table has {sorted(table)}"
                )

        self.websocket_api: CfnResource = template.get_resource("WebsocketAPI")
        self.websocket_stage: CfnResource = template.get_resource("WebsocketAPIStage")
        self.rest_api: CfnResource = template.get_resource("RestAPI")
        self.ws_stage_name = str(self.websocket_stage.stage_name)  # type: ignore[attr-defined]  # a CfnStage
        self.rest_stage_name = rest_stage_name = str(config["api_gateway_stage"])
        api_host = f"execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        self.management_endpoint = f"https://{self.websocket_api.ref}.{api_host}/{self.ws_stage_name}"
        self.ws_url = f"wss://{self.websocket_api.ref}.{api_host}/{self.ws_stage_name}"
        self.rest_url = f"https://{self.rest_api.ref}.{api_host}/{rest_stage_name}"

        self.schedule_failures = sqs.Queue(
            self,
            "ScheduleFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        suppress(
            self.schedule_failures,
            "AwsSolutions-SQS3",
            "This queue is itself the on-failure destination (dead-letter queue) of the scheduled functions; "
            "an alarm fires on its first message.",
        )

        self.scheduled = [fid for fid in self.functions if ACCESS[fid].scheduled]
        self.streamed = [fid for fid in self.functions if ACCESS[fid].stream is not None]
        # Seconds each function may run (alarms compare p99 duration with it).
        self.timeouts = {
            fid: SCHEDULE_TIMEOUT_SECONDS if ACCESS[fid].scheduled else int(config["lambda_timeout"])
            for fid in self.functions
        }
        self.roles: dict[str, iam.Role] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for fid, fn in self.functions.items():
            self._wire_function(fid, fn, ACCESS[fid], data, identity)

        self._api_logging_role()
        self._agent_authorizer(identity)
        self._rest_stage(stage)
        self._websocket_stage(stage)

        for name, value, what in (
            ("RestApiUrl", self.rest_url, "REST API (apiUrl in config.json)"),
            ("WebSocketUrl", self.ws_url, "WebSocket API (wsUrl in config.json)"),
            ("WebSocketManagementEndpoint", self.management_endpoint, "WS_MANAGEMENT_ENDPOINT of every function"),
        ):
            CfnOutput(self, name, value=value, description=what).override_logical_id(name)

    # ------------------------------------------------------------------ functions
    def _wire_function(self, fid: str, fn: CfnResource, access: Access, data: Data, identity: Identity) -> None:
        role = iam.Role(
            self,
            f"{fid}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Flow Hub {self.stage.name} {fid}: only what this function uses",
        )
        log_group = logs.LogGroup(
            self,
            f"{fid}Logs",
            log_group_name=f"/flow-hub/{self.stage.name}/{fid}",
            retention=self.stage.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        log_group.grant_write(role)
        for kind in dict.fromkeys(access.write + access.read):
            table: dynamodb.Table = data.tables[kind]
            writes = kind in access.write
            # Queries name their index: each one by name, no `index/*`.
            indexes = [f"{table.table_arn}/index/{index.name}" for index in data.specs[kind].indexes]
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[*READ_ACTIONS, *(WRITE_ACTIONS if writes else ())], resources=[table.table_arn]
                )
            )
            if indexes:
                role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=indexes))
        if access.widget_secret:
            identity.widget_secret.grant_read(role)
        if access.post_to_connections:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["execute-api:ManageConnections"],
                    resources=[
                        # Pseudo parameters, not the stack's env: the same template text (and the
                        # same cdk-nag finding) whether or not the synth knows the account.
                        f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:{self.websocket_api.ref}/"
                        # The stage's name, not a Ref: a Ref would make the role wait for the stage,
                        # which waits for the functions, which wait for the role.
                        f"{self.ws_stage_name}/POST/@connections/*"
                    ],
                )
            )
            suppress(
                role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
                f"<{self._logical(self.websocket_api)}>/{self.ws_stage_name}/POST/@connections/*]",
                "Connection ids are assigned by API Gateway at runtime; the grant is limited to POST on this "
                "API's own stage.",
            )
        if self.tracing:
            role.add_to_policy(
                iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
            )
            suppress(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.",
            )
        if access.scheduled:
            self.schedule_failures.grant_send_messages(role)
            fn.add_property_override("Timeout", SCHEDULE_TIMEOUT_SECONDS)
            fn.add_property_override(
                "EventInvokeConfig",
                {
                    "MaximumRetryAttempts": SCHEDULE_RETRIES,
                    "MaximumEventAgeInSeconds": int(SCHEDULE_MAX_EVENT_AGE.to_seconds()),
                    "DestinationConfig": {
                        "OnFailure": {"Type": "SQS", "Destination": self.schedule_failures.queue_arn}
                    },
                },
            )
        if access.stream is not None:
            self._wire_stream(fid, fn, role, data.tables[access.stream])
        fn.add_property_override("MemorySize", MEMORY_MB[fid])
        fn.add_property_override("Role", role.role_arn)
        fn.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name, "LogFormat": "Text"})
        fn.add_property_override("Environment.Variables.WS_MANAGEMENT_ENDPOINT", self.management_endpoint)
        # The function is created only once its role can do its job (the Role itself is already
        # referenced through its ARN; its inline policy is a separate resource).
        fn.node.add_dependency(role.node.find_child("DefaultPolicy"))
        self.roles[fid] = role
        self.log_groups[fid] = log_group

    def _wire_stream(self, fid: str, fn: CfnResource, role: iam.Role, table: dynamodb.Table) -> None:
        """The event source mapping chalice generated (`Events.<Name>EventSource`, from
        `@app.on_dynamodb_record`) gets the table's real stream in place of app.py's placeholder,
        its retries, and the failures queue; the role may read that one stream."""
        stream_arn = table.table_stream_arn
        if stream_arn is None:
            raise ValueError(f"{fid}: its table has no stream (set Meta.stream_view_type on the model)")
        event = f"{fid}DynamodbEventSource"
        fn.add_property_override(f"Events.{event}.Properties.Stream", stream_arn)
        fn.add_property_override(f"Events.{event}.Properties.MaximumRetryAttempts", STREAM_RETRIES)
        fn.add_property_override(f"Events.{event}.Properties.MaximumRecordAgeInSeconds", STREAM_MAX_RECORD_AGE_SECONDS)
        fn.add_property_override(
            f"Events.{event}.Properties.DestinationConfig",
            {"OnFailure": {"Type": "SQS", "Destination": self.schedule_failures.queue_arn}},
        )
        role.add_to_policy(iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]))
        self.schedule_failures.grant_send_messages(role)

    @staticmethod
    def _logical(resource: CfnResource) -> str:
        return str(resource.node.id)

    # ------------------------------------------------------------------ API stages
    def _api_logging_role(self) -> None:
        """API Gateway writes REST and WebSocket logs with one role per account and region."""
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        # The setting is account-wide: another stage's stack may rely on this role, so it outlives the stack.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        suppress(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role; AWS maintains this managed policy for exactly this use.",
        )
        self.api_account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        self.api_account.apply_removal_policy(RemovalPolicy.RETAIN)

    def _agent_authorizer(self, identity: Identity) -> None:
        """The REST API's `agent_auth` is API Gateway's own Cognito user-pool authorizer
        (`COGNITO_USER_POOLS`): it verifies the agent's ID token before any function runs, so no
        authorizer function exists, cold-starts or is paid for. app.py names a placeholder pool
        (the pool does not exist when Chalice packages the app); this points it at the stack's."""
        authorizer = "DefinitionBody.securityDefinitions.agent_auth.x-amazon-apigateway-authorizer"
        self.rest_api.add_property_override(f"{authorizer}.providerARNs", [identity.user_pool.user_pool_arn])

    def _rest_stage(self, stage: StageSettings) -> None:
        self.rest_access_logs = logs.LogGroup(
            self,
            "RestAccessLogs",
            log_group_name=f"/flow-hub/{stage.name}/access/rest",
            retention=stage.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        api = self.rest_api
        api.add_property_override("Name", stage.physical("rest"))
        api.add_property_override("TracingEnabled", self.tracing)
        api.add_property_override(
            "AccessLogSetting",
            {"DestinationArn": self.rest_access_logs.log_group_arn, "Format": REST_ACCESS_LOG_FORMAT},
        )
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": stage.rest.rate,
                    "ThrottlingBurstLimit": stage.rest.burst,
                    "LoggingLevel": "ERROR",
                    "MetricsEnabled": True,
                    "DataTraceEnabled": False,
                },
                {
                    # Method settings address a path with its slashes escaped as ~1.
                    "ResourcePath": "/~1widget~1session",
                    "HttpMethod": "POST",
                    "ThrottlingRateLimit": stage.widget_session.rate,
                    "ThrottlingBurstLimit": stage.widget_session.burst,
                    "LoggingLevel": "ERROR",
                    "MetricsEnabled": True,
                    "DataTraceEnabled": False,
                },
            ],
        )
        api.add_resource_dependency(self.api_account)

    def _websocket_stage(self, stage: StageSettings) -> None:
        self.ws_access_logs = logs.LogGroup(
            self,
            "WebSocketAccessLogs",
            log_group_name=f"/flow-hub/{stage.name}/access/websocket",
            retention=stage.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.websocket_api.add_property_override("Name", stage.physical("websocket"))
        ws = self.websocket_stage
        ws.add_property_override(
            "AccessLogSettings", {"DestinationArn": self.ws_access_logs.log_group_arn, "Format": WS_ACCESS_LOG_FORMAT}
        )
        ws.add_property_override(
            "DefaultRouteSettings",
            {
                "ThrottlingRateLimit": stage.websocket.rate,
                "ThrottlingBurstLimit": stage.websocket.burst,
                "LoggingLevel": "ERROR",
                "DataTraceEnabled": False,
                "DetailedMetricsEnabled": True,
            },
        )
        ws.add_property_override(
            "RouteSettings",
            {
                "$connect": {
                    "ThrottlingRateLimit": stage.websocket_connect.rate,
                    "ThrottlingBurstLimit": stage.websocket_connect.burst,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,
                    "DetailedMetricsEnabled": True,
                }
            },
        )
        ws.add_resource_dependency(self.api_account)
        suppress(
            ws,
            "AwsSolutions-APIG1",
            "Access logging is on: AccessLogSettings is set by a property override above, which cdk-nag cannot "
            "see; tests/infra/test_templates.py checks it in the synthesized template.",
        )
        for route in ("WebsocketConnectRoute", "WebsocketMessageRoute", "WebsocketDisconnectRoute"):
            suppress(
                self.chalice.sam_template.get_resource(route),
                "AwsSolutions-APIG4",
                "WebSocket clients authenticate in the $connect function (a Cognito ID token or a widget session "
                "in the query string, verified before the connection is accepted); every later frame is checked "
                "against the identity bound at $connect, which is what an authorizer would give.",
            )
