"""One stage deployed onto moto from its templates, its functions running from the exact zip.

The first tenant and agent are created with the admin CLI (`tools.admin`), as
docs/deploy.md tells an operator to; the agent signs in through the template's app client
as the dashboard does.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from local.lambda_package import runtime_dir, unpack
from tests.infra import aws_events
from tests.infra.cfn import REGION
from tests.infra.management import ManagementApi
from tests.infra.stage import (
    API_HOST,
    WS_API_ID,
    Container,
    Deployable,
    context_for,
    lambda_environment,
    moto_client,
    provision,
)
from tools.admin import Admin, Target

TENANT = "acme"
AGENT_EMAIL = "ada@acme.example"
AGENT_PASSWORD = "Agent-Passw0rd-1!"
HANDLERS = {
    "connect": "app.ws_connect",
    "message": "app.ws_message",
    "disconnect": "app.ws_disconnect",
    "rest": "app.app",
    "escalate": "app.escalate_overdue_callbacks",
    "recompute": "app.recompute_counters",
    "drift": "app.sweep_drift",
    "route": "app.route_queue",
    "stream": "app.push_counters",
}


class Rehearsal:
    def __init__(self, d: Deployable, moto_url: str, management: ManagementApi, work: Path) -> None:
        self.d = d
        self.moto_url = moto_url
        self.management = management
        self.work = work
        self.provisioned = provision(d, moto_url)
        self.task = unpack(d.package, work / "task")
        self.runtime = runtime_dir(work / "runtime")
        self.containers: dict[str, Container] = {}
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.endpoint_problems: list[str] = []
        by_handler = {f["Properties"]["Handler"]: logical for logical, f in d.functions.items()}
        self.logical = {role: by_handler[h] for role, h in HANDLERS.items()}
        stages = d.resources(d.app, "AWS::ApiGatewayV2::Stage")
        self.ws_stage = str(next(iter(stages.values()))["Properties"]["StageName"])
        self.rest_stage = "api"
        self.env = {logical: self._environment(logical) for logical in d.functions}
        any_env = next(iter(self.env.values()))
        self.admin = Admin(
            Target(
                region=REGION,
                tenants_table=any_env["TENANTS_TABLE"],
                presence_table=any_env["PRESENCE_TABLE"],
                user_pool_id=self.provisioned.user_pool_id,
                endpoint_url=moto_url,
            )
        )
        self.tenant = self.admin.create_tenant(TENANT, "Acme Outdoor", phone_region="SE")
        self.widget_key = self.tenant["widget_keys"][0]
        self.admin.invite_agent(TENANT, AGENT_EMAIL, "Ada Agent", temporary_password=AGENT_PASSWORD, send_email=False)
        self.agent_token = self._sign_in(AGENT_EMAIL, AGENT_PASSWORD)

    # ------------------------------------------------------------------ setup
    def _environment(self, logical: str) -> dict[str, str]:
        props = self.d.functions[logical]["Properties"]
        assert self.provisioned.app is not None
        variables = self.provisioned.app.resolve(props.get("Environment", {}).get("Variables", {}))
        env = lambda_environment(self.d, logical, variables, props, self.task, self.runtime)
        endpoint = env.get("WS_MANAGEMENT_ENDPOINT")
        match = API_HOST.match(endpoint or "")
        if match and match["api"] == WS_API_ID and match["stage"] == self.ws_stage:
            # The WebSocket API's own management endpoint: served here, stage path kept.
            env["WS_MANAGEMENT_ENDPOINT"] = f"{self.management.url}/{match['stage']}"
        else:
            self.endpoint_problems.append(
                f"{logical}: WS_MANAGEMENT_ENDPOINT is {endpoint!r}, not "
                f"https://{WS_API_ID}.execute-api.{REGION}.amazonaws.com/{self.ws_stage}"
            )
        env.update(
            {
                # The test's stand-ins for the AWS endpoints (botocore's per-service variables).
                "AWS_ENDPOINT_URL_DYNAMODB": self.moto_url,
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto_url,
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": self.moto_url,
                # A client built without an endpoint lands here, on a path without the stage.
                "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": self.management.url,
                # Cognito's JWKS on moto instead of cognito-idp.<region>.amazonaws.com.
                "COGNITO_JWKS_URL": f"{self.moto_url}/{env.get('COGNITO_USER_POOL_ID', '')}/.well-known/jwks.json",
            }
        )
        return env

    def _sign_in(self, username: str, password: str) -> str:
        """USER_PASSWORD_AUTH through the template's app client, then the first-sign-in password."""
        idp = moto_client("cognito-idp", self.moto_url)
        client = self.provisioned.client_id
        first = idp.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
        )
        if first.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            first = idp.respond_to_auth_challenge(
                ClientId=client,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=first["Session"],
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password + "x"},
            )
        return str(first["AuthenticationResult"]["IdToken"])

    # ------------------------------------------------------------------ invoking
    def container(self, role: str) -> Container:
        logical = self.logical[role]
        if logical not in self.containers:
            props = self.d.functions[logical]["Properties"]
            self.containers[logical] = Container(
                logical,
                props["Handler"],
                self.env[logical],
                self.task,
                self.runtime,
                self.work / f"{logical}.log",
            )
        return self.containers[logical]

    def invoke(self, role: str, event: dict[str, Any]) -> Any:
        logical = self.logical[role]
        reply = self.container(role).invoke(
            event, context_for(self.d, logical, self.d.functions[logical]["Properties"])
        )
        self.calls[logical].extend(reply["calls"])
        if "error" in reply:
            raise AssertionError(f"{logical} raised:\n{reply['error']}")
        return reply["result"]

    def ws(self, kind: str, connection: str, body: dict[str, Any] | None = None, **query: str) -> Any:
        role = {"CONNECT": "connect", "MESSAGE": "message", "DISCONNECT": "disconnect"}[kind]
        event = aws_events.websocket(
            kind, api_id=WS_API_ID, stage=self.ws_stage, connection=connection, body=body, query=query or None
        )
        return self.invoke(role, event)

    def rest(self, method: str, resource: str, **kwargs: Any) -> Any:
        event = aws_events.rest(method, resource, api_id="restapi001", stage=self.rest_stage, **kwargs)
        return self.invoke("rest", event)

    def close(self) -> None:
        for c in self.containers.values():
            c.close()
