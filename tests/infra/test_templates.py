"""The synthesized templates: cfn-lint clean, and the settings cdk-nag cannot see in place.

cfn-lint runs the SAM transform, so the functions and APIs Chalice generates are linted as
CloudFormation will deploy them. Settings made through property overrides (throttling,
access logs, roles, log groups, failure destinations) are invisible to cdk-nag; they are
asserted here on the templates as synthesized.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.nag import MIN_REASON_LENGTH
from infra.settings import STAGES
from tests.infra.figures import record
from tests.infra.stage import ROOT

CFN_LINT_CONFIG = ROOT / "infra" / ".cfnlintrc.yaml"


def cfn_lint(paths: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            "--config-file",
            str(CFN_LINT_CONFIG),
            "--format",
            "json",
            "--",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):
        pytest.fail(f"cfn-lint could not run ({result.returncode}): {result.stderr[-3000:]}")
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def templates(out: Path) -> dict[str, dict[str, Any]]:
    return {
        p.name.removesuffix(".template.json"): json.loads(p.read_text())
        for p in sorted(out.glob("FlowHub-*.template.json"))
    }


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_finds_no_error_and_no_warning(cloud_assembly: Path) -> None:
    paths = sorted(cloud_assembly.glob("FlowHub-*.template.json"))
    assert len(paths) == 2 * len(STAGES)
    findings = cfn_lint(paths)
    levels = {level: [f for f in findings if f["Level"] == level] for level in ("Error", "Warning", "Informational")}
    record(
        f"cfn-lint on {len(paths)} templates",
        f"{len(levels['Error'])} errors, {len(levels['Warning'])} warnings, "
        f"{len(levels['Informational'])} informational",
    )
    assert not levels["Error"] + levels["Warning"], json.dumps(levels["Error"] + levels["Warning"], indent=1)[:6000]
    # Each check ignored on a resource says why, next to it.
    exceptions = 0
    for name, template in templates(cloud_assembly).items():
        for logical, resource in template["Resources"].items():
            metadata = resource.get("Metadata", {})
            ignored = metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
            reasons = metadata.get("cfn-lint-reasons", {})
            for check in ignored:
                exceptions += 1
                assert len(reasons.get(check, "")) >= MIN_REASON_LENGTH, f"{name} {logical}: {check} has no reason"
    record("cfn-lint exceptions (each on one resource, with its reason)", str(exceptions))


def test_cfn_lint_lints_the_sam_functions(cloud_assembly: Path, tmp_path: Path) -> None:
    """A broken Chalice-generated function is reported: the SAM part is linted, not skipped."""
    template = json.loads((cloud_assembly / "FlowHub-dev-Stateless.template.json").read_text())
    broken = copy.deepcopy(template)
    broken["Resources"]["APIHandler"]["Properties"]["MemorySize"] = 1
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(broken))
    errors = [f for f in cfn_lint([path]) if f["Level"] == "Error"]
    assert any("MemorySize" in "/".join(map(str, f["Location"]["Path"])) for f in errors), errors


@pytest.fixture(scope="module")
def stacks(cloud_assembly: Path) -> dict[str, dict[str, Any]]:
    return templates(cloud_assembly)


def _stateless(stacks: dict[str, dict[str, Any]], stage: str) -> dict[str, Any]:
    return stacks[f"FlowHub-{stage}-Stateless"]


def _stateful(stacks: dict[str, dict[str, Any]], stage: str) -> dict[str, Any]:
    return stacks[f"FlowHub-{stage}-Stateful"]


def test_tables_are_recoverable_encrypted_and_protected_in_prod(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    protect = STAGES[stage].protect_data
    for logical, table in of_type(_stateful(stacks, stage), "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical
        assert props["SSESpecification"]["SSEEnabled"] is True, logical
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical
        assert props.get("DeletionProtectionEnabled", False) is protect, logical
        assert table["DeletionPolicy"] == ("Retain" if protect else "Delete"), logical
        assert table["UpdateReplacePolicy"] == ("Retain" if protect else "Delete"), logical


def test_agents_are_admin_created_and_cannot_change_their_tenant(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateful(stacks, stage)
    [pool] = of_type(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [tenant] = [a for a in pool["Properties"]["Schema"] if a["Name"] == "tenant"]
    assert tenant["Mutable"] is False
    [client] = of_type(template, "AWS::Cognito::UserPoolClient").values()
    assert "custom:tenant" in client["Properties"]["ReadAttributes"]
    assert "custom:tenant" not in client["Properties"]["WriteAttributes"]
    assert client["Properties"]["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["Properties"]["ExplicitAuthFlows"]  # the dashboard's sign-in


def test_agent_routes_are_authorized_by_the_cognito_user_pool_and_no_function(
    stacks: dict[str, dict[str, Any]], stage: str
) -> None:
    """No Lambda runs to authorize a REST call: the agent routes name API Gateway's own
    COGNITO_USER_POOLS authorizer on the stage's agent pool, and no authorizer function exists."""
    stateless, stateful = _stateless(stacks, stage), _stateful(stacks, stage)
    [rest] = of_type(stateless, "AWS::Serverless::Api").values()
    body = rest["Properties"]["DefinitionBody"]
    schemes = body["securityDefinitions"]
    assert list(schemes) == ["agent_auth"]
    scheme = schemes["agent_auth"]
    assert (scheme["in"], scheme["name"], scheme["x-amazon-apigateway-authtype"]) == (
        "header",
        "Authorization",
        "cognito_user_pools",
    )
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "cognito_user_pools"
    assert "authorizerUri" not in authorizer, "a Lambda authorizer"
    # The pool ARN is the stateful stack's user pool, exported there and imported here.
    [pool_arn] = authorizer["providerARNs"]
    [pool] = [k for k, v in stateful["Resources"].items() if v["Type"] == "AWS::Cognito::UserPool"]
    exports = {o["Export"]["Name"]: o["Value"] for o in stateful["Outputs"].values() if "Export" in o}
    assert exports[pool_arn["Fn::ImportValue"]] == {"Fn::GetAtt": [pool, "Arn"]}
    # Every agent route uses it; the public ones none.
    security = {
        (path, method): op.get("security")
        for path, ops in body["paths"].items()
        for method, op in ops.items()
        if method != "options"
    }
    assert security[("/me", "get")] == [{"agent_auth": []}]
    assert security[("/tickets", "post")] == [{"agent_auth": []}]
    assert security[("/widget/session", "post")] is None
    assert {str(s) for s in security.values()} == {str([{"agent_auth": []}]), "None"}
    # No authorizer function, no permission for API Gateway to invoke one.
    handlers = {f["Properties"]["Handler"] for f in of_type(stateless, "AWS::Serverless::Function").values()}
    assert "app.agent_auth" not in handlers
    assert not of_type(stateless, "AWS::ApiGateway::Authorizer")
    permissions = of_type(stateless, "AWS::Lambda::Permission").values()
    assert not [p for p in permissions if "authorizers" in json.dumps(p["Properties"].get("SourceArn", ""))]


def test_each_function_has_the_memory_infra_chose_and_traces_without_the_sdk(
    stacks: dict[str, dict[str, Any]], stage: str
) -> None:
    from infra.api import MEMORY_MB

    functions = of_type(_stateless(stacks, stage), "AWS::Serverless::Function")
    assert {k: f["Properties"]["MemorySize"] for k, f in functions.items()} == MEMORY_MB
    # Lambda's active tracing where X-Ray is on (prod); the functions import no X-Ray SDK.
    assert {f["Properties"].get("Tracing") for f in functions.values()} == {
        "Active" if stage == "prod" else "PassThrough"
    }


def test_every_function_has_its_own_role_log_group_and_endpoint(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateless(stacks, stage)
    functions = of_type(template, "AWS::Serverless::Function")
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    # 3 WebSocket, the REST API, 4 schedules, the counters stream: no authorizer function
    assert len(set(roles)) == len(functions) == 9
    ws_stage = next(iter(of_type(template, "AWS::ApiGatewayV2::Stage").values()))["Properties"]["StageName"]
    log_groups = of_type(template, "AWS::Logs::LogGroup")
    for logical, fn in functions.items():
        props = fn["Properties"]
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group]["Properties"]["RetentionInDays"] > 0, logical
        endpoint = props["Environment"]["Variables"]["WS_MANAGEMENT_ENDPOINT"]["Fn::Join"][1]
        assert {"Ref": "WebsocketAPI"} in endpoint and endpoint[-1].endswith(f"/{ws_stage}"), (logical, endpoint)
        for var in ("COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID", "WIDGET_SECRET_ID"):
            assert "Fn::ImportValue" in props["Environment"]["Variables"][var], (logical, var)


def test_schedules_have_a_failure_destination(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateless(stacks, stage)
    queues = of_type(template, "AWS::SQS::Queue")
    scheduled = {
        k: f
        for k, f in of_type(template, "AWS::Serverless::Function").items()
        if any(e["Type"] == "Schedule" for e in f["Properties"].get("Events", {}).values())
    }
    assert len(scheduled) == 4  # escalation, recompute, drift sweep, route_queue
    for logical, fn in scheduled.items():
        [event] = fn["Properties"]["Events"].values()
        assert event["Type"] == "Schedule"
        destination = fn["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert destination["Type"] == "SQS"
        assert destination["Destination"]["Fn::GetAtt"][0] in queues, logical


def test_the_counters_stream_feeds_its_function_in_one_second_batches(
    stacks: dict[str, dict[str, Any]], stage: str
) -> None:
    """Issue 12: the counters table has a stream; its function is invoked with ~1 s batches, retries
    a failed batch, then sends it to the failures queue, and its role reads that one stream."""
    [table] = [
        t
        for t in of_type(_stateful(stacks, stage), "AWS::DynamoDB::Table").values()
        if "StreamSpecification" in t["Properties"]
    ]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    template = _stateless(stacks, stage)
    functions = of_type(template, "AWS::Serverless::Function")
    streamed = {
        k: f
        for k, f in functions.items()
        if any(e["Type"] == "DynamoDB" for e in f["Properties"].get("Events", {}).values())
    }
    assert list(streamed) == ["PushCounters"]
    fn = streamed["PushCounters"]["Properties"]
    [event] = fn["Events"].values()
    props = event["Properties"]
    assert "Fn::ImportValue" in props["Stream"], props["Stream"]  # the stateful stack's table, not app.py's placeholder
    assert props["MaximumBatchingWindowInSeconds"] == 1 and props["StartingPosition"] == "LATEST"
    assert props["MaximumRetryAttempts"] >= 1 and props["MaximumRecordAgeInSeconds"] > 0
    assert props["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    role = fn["Role"]["Fn::GetAtt"][0]
    policies = [p for p in of_type(template, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    [reads] = [s for s in statements if "dynamodb:GetRecords" in s["Action"]]
    assert reads["Resource"] == props["Stream"]


def test_both_apis_are_throttled_and_log_access(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    settings = STAGES[stage]
    template = _stateless(stacks, stage)
    [ws] = of_type(template, "AWS::ApiGatewayV2::Stage").values()
    ws_props = ws["Properties"]
    assert ws_props["AccessLogSettings"]["DestinationArn"]
    assert ws_props["DefaultRouteSettings"]["ThrottlingRateLimit"] == settings.websocket.rate
    connect = ws_props["RouteSettings"]["$connect"]
    assert connect["ThrottlingRateLimit"] < ws_props["DefaultRouteSettings"]["ThrottlingRateLimit"]
    assert connect["ThrottlingBurstLimit"] < ws_props["DefaultRouteSettings"]["ThrottlingBurstLimit"]

    [rest] = of_type(template, "AWS::Serverless::Api").values()
    rest_props = rest["Properties"]
    assert rest_props["AccessLogSetting"]["DestinationArn"]
    by_path = {(m["ResourcePath"], m["HttpMethod"]): m for m in rest_props["MethodSettings"]}
    everything, session = by_path[("/*", "*")], by_path[("/~1widget~1session", "POST")]
    assert everything["ThrottlingRateLimit"] == settings.rest.rate
    assert session["ThrottlingRateLimit"] < everything["ThrottlingRateLimit"]
    # The route really exists under that path in the API Chalice generated.
    assert "post" in rest_props["DefinitionBody"]["paths"]["/widget/session"]
    assert rest_props["TracingEnabled"] is (stage == "prod")


def test_site_is_private_behind_cloudfront_with_security_headers(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateful(stacks, stage)
    buckets = of_type(template, "AWS::S3::Bucket")
    for logical, bucket in buckets.items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(
            block[k] for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        ), logical
    [distribution] = of_type(template, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] and origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert [b["PathPattern"] for b in config["CacheBehaviors"]] == ["assets/*"]
    policies = [
        p["Properties"]["ResponseHeadersPolicyConfig"]
        for p in of_type(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    ]
    assert policies
    for policy in policies:
        security = policy["SecurityHeadersConfig"]
        csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
        assert security["ContentTypeOptions"]["Override"] is True
        assert security["FrameOptions"]["FrameOption"] == "DENY"
    ttls = sorted(
        p["Properties"]["CachePolicyConfig"]["DefaultTTL"]
        for p in of_type(template, "AWS::CloudFront::CachePolicy").values()
    )
    assert ttls[0] <= 300 and ttls[-1] >= 86400 * 365
    outputs = template["Outputs"]
    assert "widget.js" in json.dumps(outputs["EmbedSnippet"]["Value"])
    assert {"DashboardUrl", "SiteUrl", "UserPoolId", "UserPoolClientId", "TenantsTableName"} <= set(outputs)


def test_config_json_is_written_at_deploy_from_the_stack(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateless(stacks, stage)
    [upload] = of_type(template, "Custom::CDKBucketDeployment").values()
    props = upload["Properties"]
    assert len(props["SourceObjectKeys"]) == 2  # frontend/dist, and config.json from json_data
    markers = json.dumps(props["SourceMarkers"])
    for wired in ("WebsocketAPI", "RestAPI", "ExportsOutputRefIdentityAgents"):
        assert wired in markers, f"config.json does not take {wired} from the stack"
    assert props["DistributionPaths"] == ["/*"]


def test_alarms_notify_the_topic_and_the_dashboard_exists(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    template = _stateless(stacks, stage)
    [topic] = of_type(template, "AWS::SNS::Topic")
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 20
    for logical, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}], logical
    [subscription] = of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] and subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    [dashboard] = of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in (
        "ConnectCount",
        "MessageCount",
        "FailedDeliveries",
        "GoneConnections",
        "Errors",
        "p99",
        "ThrottledRequests",
        "ConditionalCheckFailedRequests",
        "CallbacksOverdue",
        "CounterDrift",
        "ApproximateNumberOfMessagesVisible",
        "OpenAgentConnections",
        "OpenCustomerConnections",
    ):
        assert metric in body, metric


def test_a_stream_function_that_falls_behind_pages(stacks: dict[str, dict[str, Any]], stage: str) -> None:
    """Every function a DynamoDB stream invokes has an alarm on its iterator age (the counters it
    pushes are that late on every dashboard)."""
    template = _stateless(stacks, stage)
    streamed = {
        logical
        for logical, fn in of_type(template, "AWS::Serverless::Function").items()
        if any(e["Type"] == "DynamoDB" for e in (fn["Properties"].get("Events") or {}).values())
    }
    assert streamed, "no function reads a DynamoDB stream"
    stats = [
        m["MetricStat"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        for m in a["Properties"].get("Metrics", [])
    ]
    watched = {
        s["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for s in stats
        if s["Metric"]["MetricName"] == "IteratorAge" and s["Stat"] == "Maximum"
    }
    assert streamed <= watched, f"stream functions without an iterator-age alarm: {sorted(streamed - watched)}"


def test_the_app_metrics_the_alarms_read_are_the_ones_the_functions_write(
    stacks: dict[str, dict[str, Any]], stage: str
) -> None:
    """Each stage writes its own namespace and its alarms read that one, so dev's figures never
    page prod's on-call (the artifact test checks the zip really writes there)."""
    template = _stateless(stacks, stage)
    written = {
        f["Properties"]["Environment"]["Variables"].get("POWERTOOLS_METRICS_NAMESPACE")
        for f in of_type(template, "AWS::Serverless::Function").values()
    }
    read = {
        a["Properties"]["Namespace"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        if not a["Properties"].get("Namespace", "AWS/").startswith("AWS/")
    }
    assert written == read == {f"FlowHub/{stage}"}
