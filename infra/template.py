"""Infrastructure the Chalice app needs beside its functions, as a template `chalice package` merges.

Grouped by component: database (tables generated from the PynamoDB models),
identity (Cognito user pool for agents), secrets (widget signing key) and
monitoring (alarms). Table names match each stage's environment variables in
`.chalice/config.json`, so the runtime and the infrastructure cannot disagree;
`tests/unit/test_infra.py` checks that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.platform.config import TABLE_ENV_VARS
from chalicelib.store.tables import cloudformation_resources

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"

# Alarm thresholds (named, so the operators know what pages them).
REJECTED_ACTIONS_PER_5_MIN = 200
GONE_CONNECTIONS_PER_5_MIN = 500


def stage_env(stage: str) -> dict[str, str]:
    config = json.loads(CONFIG.read_text())
    env: dict[str, str] = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def database(stage: str) -> dict[str, Any]:
    env = stage_env(stage)
    return cloudformation_resources({kind: env[var] for kind, var in TABLE_ENV_VARS.items()})


def identity(stage: str) -> dict[str, Any]:
    return {
        "AgentUserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": f"flow-hub-{stage}-agents",
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
                "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True, "RequireSymbols": True}},
            },
        },
        "AgentUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "AgentUserPool"},
                "ClientName": "dashboard",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "ReadAttributes": ["name", "email", "custom:tenant"],
                # Agents cannot move themselves to another tenant.
                "WriteAttributes": ["name"],
                "IdTokenValidity": 60,
                "TokenValidityUnits": {"IdToken": "minutes"},
            },
        },
    }


def secrets(stage: str) -> dict[str, Any]:
    return {
        "WidgetSigningKey": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": stage_env(stage)["WIDGET_SECRET_ID"],
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        }
    }


def monitoring(stage: str) -> dict[str, Any]:
    def alarm(metric: str, threshold: int, what: str) -> dict[str, Any]:
        return {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"flow-hub-{stage}-{metric}",
                "AlarmDescription": what,
                "Namespace": "FlowHub",
                "MetricName": metric,
                "Dimensions": [{"Name": "service", "Value": "flow-hub"}],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
            },
        }

    return {
        "RejectedActionsAlarm": alarm(
            "RejectedActions", REJECTED_ACTIONS_PER_5_MIN, "Clients send many invalid actions"
        ),
        "GoneConnectionsAlarm": alarm(
            "GoneConnections", GONE_CONNECTIONS_PER_5_MIN, "Many connections vanish without $disconnect"
        ),
    }


def function_ids() -> list[str]:
    """Logical ids `chalice package` gives the app's functions."""
    from chalice.utils import to_cfn_resource_name

    from app import app

    ids = ["APIHandler", "WebsocketConnect", "WebsocketMessage", "WebsocketDisconnect"]
    ids += [to_cfn_resource_name(a.name) for a in app.builtin_auth_handlers]
    ids += [to_cfn_resource_name(e.name) for e in app.event_sources]
    return ids


def wiring() -> dict[str, Any]:
    """Every function learns the user pool and client ids from the stack itself."""
    env = {"COGNITO_USER_POOL_ID": {"Ref": "AgentUserPool"}, "COGNITO_APP_CLIENT_ID": {"Ref": "AgentUserPoolClient"}}
    return {fid: {"Properties": {"Environment": {"Variables": env}}} for fid in function_ids()}


def template(stage: str) -> dict[str, Any]:
    return {
        "Resources": {**database(stage), **identity(stage), **secrets(stage), **monitoring(stage), **wiring()},
        "Outputs": {
            "UserPoolId": {"Value": {"Ref": "AgentUserPool"}},
            "UserPoolClientId": {"Value": {"Ref": "AgentUserPoolClient"}},
        },
    }


def policy(stage: str) -> dict[str, Any]:
    """Least privilege for the function role: these tables and indexes, the widget secret,
    posting to this API's connections, logs and traces."""
    env = stage_env(stage)
    tables = [env[var] for var in TABLE_ENV_VARS.values()]
    table_arns = [f"arn:aws:dynamodb:*:*:table/{t}" for t in tables] + [
        f"arn:aws:dynamodb:*:*:table/{t}/index/*" for t in tables
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                ],
                "Resource": table_arns,
            },
            {
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": "arn:aws:execute-api:*:*:*/*/@connections/*",
            },
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": f"arn:aws:secretsmanager:*:*:secret:{env['WIDGET_SECRET_ID']}-*",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:*",
            },
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        ],
    }


def write(stage: str) -> list[Path]:
    out = [ROOT / "infra" / f"resources-{stage}.json", ROOT / ".chalice" / f"policy-{stage}.json"]
    out[0].write_text(json.dumps(template(stage), indent=2) + "\n")
    out[1].write_text(json.dumps(policy(stage), indent=2) + "\n")
    return out


if __name__ == "__main__":
    for s in ("dev", "prod"):
        for path in write(s):
            print(f"wrote {path.relative_to(ROOT)}")
