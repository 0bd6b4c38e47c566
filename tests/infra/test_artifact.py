"""The artifact test: the exact Lambda zip the stack deploys, run as Lambda would run it.

For each stage, every function the template declares is cold-started from the unpacked
zip in a fresh interpreter (`python -S -I`: the stdlib, the runtime's boto3/botocore and
the package, nothing from this virtualenv), with the environment the template gives it,
and then answers AWS-shaped events against moto: WebSocket connect/message/disconnect,
REST proxy requests (agent routes with the claims API Gateway's Cognito authorizer verified), and
each schedule. Pushes from the REST
and scheduled functions must reach the sockets through the management endpoint the stack
configured. Every AWS call a function made must be allowed by that function's own role.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.lambda_package import runtime_dir, unpack
from tests.infra import aws_events
from tests.infra.cfn import ACCOUNT, REGION, allowed, role_statements
from tests.infra.figures import record
from tests.infra.rehearsal import HANDLERS, TENANT, Rehearsal
from tests.infra.stage import (
    WS_API_ID,
    Container,
    ContainerError,
    Deployable,
    lambda_environment,
    moto_client,
    offline_resolvers,
)

# 7.8 MB of sources and libraries, and 2.7 MB of their bytecode, which saves ~150 ms of every
# cold start (`bench.import_time`, "the shipped package").
BUDGET_BYTES = 12 * 1024 * 1024
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
NEVER_PACKAGED = {"tests", "local", "bench", "tools", "infra", "frontend"}


def test_package_leaves_out_the_runtime_and_fits_the_budget(deployables: dict[str, Deployable], stage: str) -> None:
    d = deployables[stage]
    size = d.package.stat().st_size
    with zipfile.ZipFile(d.package) as z:
        top = {n.split("/", 1)[0] for n in z.namelist()}
        unpacked = sum(i.file_size for i in z.infolist())
    record(
        f"{stage} Lambda package ({d.origin})",
        f"{size / 1e6:.2f} MB zipped, {unpacked / 1e6:.1f} MB unpacked (budget {BUDGET_BYTES / 1e6:.0f} MB zipped)",
    )
    assert {"app.py", "chalicelib"} <= top
    assert not top & RUNTIME_PROVIDED, f"the Lambda runtime provides {sorted(top & RUNTIME_PROVIDED)}"
    assert not top & NEVER_PACKAGED, f"local-only code in the package: {sorted(top & NEVER_PACKAGED)}"
    # Traces come from Lambda's active tracing; the X-Ray SDK (~164 ms of cold start) is not shipped.
    assert "aws_xray_sdk" not in top, "the X-Ray SDK is in the package: something pulled in Powertools' [tracer]"
    assert size <= BUDGET_BYTES, f"{size / 1e6:.1f} MB zipped is over the {BUDGET_BYTES / 1e6:.0f} MB budget"


def test_every_function_cold_starts_from_the_zip(
    deployables: dict[str, Deployable], stage: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Import app.py as each function's Lambda would: its handler, its environment, nothing else."""
    d = deployables[stage]
    work = tmp_path_factory.mktemp(f"cold-{stage}")
    task, runtime = unpack(d.package, work / "task"), runtime_dir(work / "runtime")
    resolver = offline_resolvers(d)
    containers = []
    for logical, fn in d.functions.items():
        props = fn["Properties"]
        variables = resolver.resolve(props.get("Environment", {}).get("Variables", {}))
        env = lambda_environment(d, logical, variables, props, task, runtime)
        containers.append(Container(logical, props["Handler"], env, task, runtime, work / f"{logical}.log"))
    crashed = []
    for container in containers:  # started together, like a deploy's first requests
        try:
            container.ready()
        except ContainerError as exc:
            crashed.append(str(exc))
        container.close()
    assert not crashed, f"{len(crashed)} of {len(d.functions)} functions crash at import:\n" + "\n".join(crashed)


def test_the_package_carries_bytecode_the_runtime_uses(
    deployables: dict[str, Deployable], stage: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A cold start imports app.py and chalicelib from the zip's bytecode: nothing of the package is
    compiled again in a read-only /var/task (a stale, foreign or wrong-version .pyc would be)."""
    d = deployables[stage]
    runtimes = {fn["Properties"]["Runtime"] for fn in d.functions.values()}
    built_by = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert runtimes == {built_by}, f"bytecode compiled by {built_by} is of no use to {runtimes}"
    work = tmp_path_factory.mktemp(f"bytecode-{stage}")
    task, runtime = unpack(d.package, work / "task"), runtime_dir(work / "runtime")
    probe = subprocess.run(
        [
            sys.executable,
            "-S",
            "-I",
            "-B",
            "-v",
            "-c",
            f"import sys; sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]\nimport app",
        ],
        cwd=task,
        env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION},
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    loaded = re.findall(r"^# code object from '?([^'\n]+)'?$", probe.stderr, re.MULTILINE)
    ours = [p for p in loaded if p.startswith(str(task))]
    compiled_again = [p for p in ours if p.endswith(".py")]
    assert not compiled_again, f"{len(compiled_again)} modules compiled at cold start: {compiled_again[:5]}"
    assert sum(1 for p in ours if "/chalicelib/" in p) > 50, f"chalicelib was not imported from the zip: {ours[:5]}"


@dataclass
class Exercise:
    """What the scenario saw, for the assertions of the tests below."""

    invoked: set[str] = field(default_factory=set)
    outcomes: dict[str, Any] = field(default_factory=dict)


_EXERCISED: dict[str, Exercise] = {}


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def exercise(r: Rehearsal) -> Exercise:
    """Every function, with the events AWS would send it, in the order a first day brings them."""
    if r.d.stage in _EXERCISED:
        return _EXERCISED[r.d.stage]
    ex = Exercise()
    for role in HANDLERS:
        r.container(role)  # every cold start first, together
    for role in HANDLERS:
        r.container(role).ready()  # a crash at import fails here, with its traceback

    # Agent routes: API Gateway's Cognito authorizer verified the agent's ID token (no function
    # of ours runs for that) and hands its claims over in the request context.
    agent = aws_events.cognito_authorizer(r.agent_token)

    # REST: public routes and an agent route.
    ex.outcomes["health"] = r.rest("GET", "/health")
    session = r.rest("POST", "/widget/session", body={"widget_key": r.widget_key, "name": "Kim"})
    ex.outcomes["session"] = session
    ex.outcomes["me"] = r.rest("GET", "/me", authorizer=agent)

    # WebSocket: agent and customer connect, the customer opens a conversation and writes (the
    # first message starts it: the team sees it), the agent takes it and reads it, and the
    # customer's next message reaches the agent live.
    agent_conn, customer_conn = aws_events.connection_id(), aws_events.connection_id()
    ex.outcomes["connect_agent"] = r.ws("CONNECT", agent_conn, token=r.agent_token)
    ex.outcomes["connect_customer"] = r.ws("CONNECT", customer_conn, session=_body(session)["token"])
    ex.outcomes["connect_nobody"] = r.ws("CONNECT", aws_events.connection_id())
    r.ws("MESSAGE", customer_conn, {"action": "start", "request_id": "start-1"})
    started = r.management.events(customer_conn, "conversation")
    assert started, f"the customer got no conversation: {r.management.to(customer_conn)}"
    conversation = started[-1]["conversation"]["id"]
    r.ws(
        "MESSAGE", customer_conn, {"action": "send", "conversation_id": conversation, "client_id": "m1", "text": "Hi!"}
    )
    ex.outcomes["announced"] = [
        e for e in r.management.events(agent_conn, "conversation") if e["conversation"]["id"] == conversation
    ]
    r.ws("MESSAGE", agent_conn, {"action": "take", "conversation_id": conversation, "request_id": "take-1"})
    ex.outcomes["taken"] = [
        e for e in r.management.events(agent_conn, "conversation") if e.get("request_id") == "take-1"
    ]
    # The dashboard's heartbeat: its presence write is conditioned on the connection item.
    r.ws("MESSAGE", agent_conn, {"action": "heartbeat", "request_id": "hb-1"})
    ex.outcomes["heartbeat"] = [e for e in r.management.events(agent_conn, "ack") if e.get("request_id") == "hb-1"]
    r.ws("MESSAGE", agent_conn, {"action": "sync", "conversation_id": conversation, "since": 0, "request_id": "sync-1"})
    ex.outcomes["agent_sync"] = [e for e in r.management.events(agent_conn, "sync") if e.get("request_id") == "sync-1"]
    r.ws(
        "MESSAGE",
        customer_conn,
        {"action": "send", "conversation_id": conversation, "client_id": "m2", "text": "Anyone there?"},
    )
    ex.outcomes["agent_message"] = [
        m for m in r.management.events(agent_conn, "message") if m["author"]["role"] == "customer"
    ]
    ex.outcomes["conversation"] = conversation
    ex.outcomes["agent_conn"] = agent_conn

    # REST pushes to the agent's socket: a ticket from the conversation.
    before = len(r.management.to(agent_conn))
    ex.outcomes["ticket"] = r.rest(
        "POST", "/tickets", body={"subject": "Tent pole broke", "conversation_id": conversation}, authorizer=agent
    )
    ex.outcomes["rest_pushes"] = r.management.to(agent_conn)[before:]
    # The counters table's stream: its batch pushes the tenant's current counters to the dashboards.
    counters_table = r.env[r.logical["stream"]]["COUNTERS_TABLE"]
    before = len(r.management.to(agent_conn))
    ex.outcomes["stream"] = r.invoke(
        "stream",
        aws_events.dynamodb_stream(
            counters_table, {"tenant": {"S": TENANT}}, {"open_tickets": {"N": "0"}}, {"open_tickets": {"N": "1"}}
        ),
    )
    ex.outcomes["stream_pushes"] = r.management.to(agent_conn)[before:]

    # Schedules. The recompute repairs a counter that drifted; the repair reaches the dashboards
    # through the counters table's stream, as deployed (the recompute itself pushes nothing).
    moto_client("dynamodb", r.moto_url).update_item(
        TableName=counters_table,
        Key={"tenant": {"S": TENANT}},
        UpdateExpression="SET open_tickets = :n",
        ExpressionAttributeValues={":n": {"N": "42"}},
    )
    before = len(r.management.to(agent_conn))
    ex.outcomes["recompute"] = r.invoke("recompute", aws_events.scheduled("recompute"))
    ex.outcomes["recompute_direct"] = r.management.to(agent_conn)[before:]
    ex.outcomes["recompute_stream"] = r.invoke(
        "stream",
        aws_events.dynamodb_stream(
            counters_table, {"tenant": {"S": TENANT}}, {"open_tickets": {"N": "42"}}, {"open_tickets": {"N": "1"}}
        ),
    )
    ex.outcomes["schedule_pushes"] = r.management.to(agent_conn)[before:]
    ex.outcomes["escalate"] = r.invoke("escalate", aws_events.scheduled("escalate"))
    ex.outcomes["drift"] = r.invoke("drift", aws_events.scheduled("drift"))
    ex.outcomes["route"] = r.invoke("route", aws_events.scheduled("route"))

    ex.outcomes["disconnect"] = r.ws("DISCONNECT", customer_conn)
    ex.outcomes["customer_conn"] = customer_conn
    ex.invoked = {r.logical[role] for role in HANDLERS}
    _EXERCISED[r.d.stage] = ex
    return ex


def test_every_function_starts_from_the_zip_and_answers_its_aws_events(rehearsal: Rehearsal) -> None:
    r = rehearsal
    ex = exercise(r)
    assert ex.invoked == set(r.d.functions), "every function in the template was invoked"

    assert ex.outcomes["health"]["statusCode"] == 200
    assert ex.outcomes["session"]["statusCode"] == 200, ex.outcomes["session"]
    me = ex.outcomes["me"]
    assert me["statusCode"] == 200 and _body(me)["tenant"] == TENANT, me

    assert ex.outcomes["connect_agent"]["statusCode"] == 200
    assert ex.outcomes["connect_customer"]["statusCode"] == 200
    assert ex.outcomes["connect_nobody"]["statusCode"] == 401
    conversation = ex.outcomes["conversation"]
    assert ex.outcomes["announced"], "the customer's first message shows the conversation to the team"
    assert [e["action"] for e in ex.outcomes["heartbeat"]] == ["heartbeat"], ex.outcomes["heartbeat"]
    [taken] = ex.outcomes["taken"]
    assert taken["conversation"]["owner"]["id"] == aws_events.cognito_authorizer(r.agent_token)["claims"]["sub"], taken
    [synced] = ex.outcomes["agent_sync"]
    assert [m["text"] for m in synced["messages"] if m["kind"] == "text"] == ["Hi!"], synced
    [message] = ex.outcomes["agent_message"]
    assert message["text"] == "Anyone there?" and message["conversation_id"] == conversation, message

    assert ex.outcomes["ticket"]["statusCode"] == 200, ex.outcomes["ticket"]
    assert ex.outcomes["stream"] == {"records": 1, "tenants": 1, "failed": 0}, ex.outcomes["stream"]
    assert ex.outcomes["recompute"]["drift"] >= 41, ex.outcomes["recompute"]
    assert ex.outcomes["escalate"]["tenants"] >= 1
    assert ex.outcomes["drift"]["tenants"] >= 1
    assert ex.outcomes["route"]["tenants"] >= 1
    assert ex.outcomes["disconnect"]["statusCode"] == 200
    gone = moto_client("dynamodb", r.moto_url).get_item(
        TableName=r.env[r.logical["disconnect"]]["CONNECTIONS_TABLE"],
        Key={"connection_id": {"S": ex.outcomes["customer_conn"]}},
    )
    assert "Item" not in gone, "$disconnect removed the connection"


def test_rest_and_schedule_pushes_reach_the_socket_through_the_configured_endpoint(rehearsal: Rehearsal) -> None:
    r = rehearsal
    ex = exercise(r)
    assert not r.endpoint_problems, "\n".join(r.endpoint_problems)
    for what in ("rest_pushes", "stream_pushes", "schedule_pushes"):
        pushes = ex.outcomes[what]
        assert pushes, f"{what}: nothing reached the agent's socket"
        misplaced = [p for p in pushes if p.stage != r.ws_stage]
        assert not misplaced, f"{what} went to the wrong endpoint (stage {r.ws_stage!r} expected): {misplaced}"
    ticket_events = [p.data for p in ex.outcomes["rest_pushes"] if p.data.get("type") == "ticket"]
    assert ticket_events and ticket_events[0]["ticket"]["subject"] == "Tent pole broke"
    [streamed] = [p.data for p in ex.outcomes["stream_pushes"] if p.data.get("type") == "counters"]
    assert streamed["counters"]["open_tickets"] == 1, ex.outcomes["stream_pushes"]  # the stored value
    counters = [p.data for p in ex.outcomes["schedule_pushes"] if p.data.get("type") == "counters"]
    assert counters and counters[-1]["counters"]["open_tickets"] == 1, ex.outcomes["schedule_pushes"]
    # Once: from the stream, not also from the recompute.
    assert [p.data for p in ex.outcomes["recompute_direct"] if p.data.get("type") == "counters"] == []
    assert len(counters) == 1, counters


def _action_and_resource(call: dict[str, Any], r: Rehearsal) -> list[tuple[str, str]]:
    service, op, params = call["service"], call["operation"], call["params"]
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
    if service == "dynamodb":
        if op == "TransactWriteItems":
            names = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                (f"dynamodb:{names[kind]}", table_arn + body["TableName"])
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if "RequestItems" in params:
            return [(f"dynamodb:{op}", table_arn + t) for t in params["RequestItems"]]
        arn = table_arn + params["TableName"]
        if params.get("IndexName"):
            arn += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{op}", arn)]
    if service == "secretsmanager":
        return [(f"secretsmanager:{op}", r.provisioned.secret_arn)]
    if service == "execute-api":
        stage = call["endpoint"].rstrip("/").rsplit("/", 1)[-1]
        connection = params["ConnectionId"]
        return [
            (
                "execute-api:ManageConnections",
                f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{WS_API_ID}/{stage}/POST/@connections/{connection}",
            )
        ]
    raise AssertionError(f"unexpected AWS call {service}:{op}")


def test_each_function_only_calls_what_its_own_role_allows(rehearsal: Rehearsal) -> None:
    r = rehearsal
    exercise(r)
    assert r.provisioned.app is not None
    roles = {}
    for logical, fn in r.d.functions.items():
        role_ref = fn["Properties"]["Role"]
        assert isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref, f"{logical} has no role of the stack's own"
        roles[logical] = role_ref["Fn::GetAtt"][0]
    assert len(set(roles.values())) == len(roles), f"functions share roles: {roles}"
    refused = []
    for logical, calls in r.calls.items():
        statements = role_statements(r.d.app, r.provisioned.app, roles[logical])
        for call in calls:
            for action, resource in _action_and_resource(call, r):
                if not allowed(statements, action, resource):
                    refused.append(f"{logical}: {action} on {resource}")
    assert not refused, "AWS would refuse:\n" + "\n".join(sorted(set(refused)))


@pytest.mark.parametrize("role", ["escalate", "recompute", "drift", "route"])
def test_functions_without_customer_sessions_cannot_read_the_widget_key(rehearsal: Rehearsal, role: str) -> None:
    r = rehearsal
    assert r.provisioned.app is not None
    role_ref = r.d.functions[r.logical[role]]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = role_statements(r.d.app, r.provisioned.app, role_ref)
    assert not allowed(statements, "secretsmanager:GetSecretValue", r.provisioned.secret_arn)


def test_log_lines_carry_the_request_id_and_metrics_land_in_the_stage_namespace(rehearsal: Rehearsal) -> None:
    """What on-call greps for: a refused frame's log line names API Gateway's request id (the
    one in its access log), the connection and the route; the metric the alarm counts is in
    the namespace the stage's alarms read."""
    r = rehearsal
    conn = aws_events.connection_id()
    assert r.ws("CONNECT", conn, token=r.agent_token)["statusCode"] == 200
    event = aws_events.websocket(
        "MESSAGE",
        api_id=WS_API_ID,
        stage=r.ws_stage,
        connection=conn,
        body={"action": "no-such-action", "request_id": "log-1"},
    )
    r.invoke("message", event)
    request_id = event["requestContext"]["requestId"]
    log = r.work / f"{r.logical['message']}.log"
    lines = [json.loads(line) for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]

    emf = [line for line in lines if "RejectedActions" in line and "_aws" in line]
    assert emf, f"no RejectedActions metric in the function's output: {lines[-5:]}"
    [namespace] = {m["Namespace"] for m in emf[-1]["_aws"]["CloudWatchMetrics"]}
    alarm_namespaces = {
        a["Properties"]["Namespace"]
        for a in r.d.resources(r.d.app, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "RejectedActions"
    }
    assert alarm_namespaces == {namespace} == {f"FlowHub/{r.d.stage}"}

    refused = [line for line in lines if line.get("message") == "action rejected"]
    if r.env[r.logical["message"]].get("POWERTOOLS_LOG_LEVEL") == "WARNING":
        assert not refused, "prod logs warnings and errors only"
        return
    matching = [line for line in refused if line.get("correlation_id") == request_id]
    assert len(matching) == 1, f"no line with correlation_id {request_id!r}: {refused}"
    [line] = matching
    assert (line["connection_id"], line["route"]) == (conn, "$default"), line
    assert line["function_request_id"] and line["level"] == "INFO"
