"""Administration of a hub: tenants, widget keys and agents. `python -m tools.admin --help`.

The same code runs against a deployed stage and against the local stack; only where the
tables and the user pool are differs:

    python -m tools.admin --stage dev tenant list          # names from the stage's stack outputs
    python -m tools.admin --endpoint-url http://127.0.0.1:5000 \\
        --tenants-table flow-hub-dev-tenants --user-pool-id us-east-1_abc tenant list

Tenants are written through the runtime's own PynamoDB model (`chalicelib.store.models.Tenant`),
so the CLI and the hub cannot disagree about the item format. Agents are Cognito users
created by `AdminCreateUser` with the tenant in `custom:tenant`, the claim the hub trusts.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.platform.auth import TENANT_CLAIM
from chalicelib.store.keys import widget_key_tenant
from chalicelib.store.models import Tenant
from infra.names import stateful_stack

# The widget key is `wk_<tenant>_<random>` (chalicelib.store.keys), so a tenant id has no "_".
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PHONE_REGION = re.compile(r"^[A-Z]{2}$")
ORIGIN = re.compile(r"^https?://[^/\s]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WIDGET_KEY_RANDOM_BYTES = 18


class AdminError(Exception):
    """A request the hub refuses; the message says what to change."""


@dataclass(frozen=True)
class Target:
    """Where one hub's data and agents live."""

    region: str
    tenants_table: str
    user_pool_id: str
    endpoint_url: str | None = None  # None: the AWS endpoints of `region`
    site_url: str | None = None  # for the embed snippet, when known

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(service, region_name=self.region, endpoint_url=self.endpoint_url)


def stack_outputs(stage: str, region: str | None, cfn: Any = None) -> dict[str, str]:
    """The outputs of the stage's stateful stack (tables, user pool, site)."""
    cfn = cfn or boto3.session.Session().client("cloudformation", region_name=region)
    name = stateful_stack(stage)
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except cfn.exceptions.ClientError as exc:
        raise AdminError(f"stack {name} not found ({exc}); deploy the stage first: make deploy STAGE={stage}") from exc
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def target_for_stage(stage: str, region: str | None, cfn: Any = None) -> Target:
    outputs = stack_outputs(stage, region, cfn)
    session_region = region or boto3.session.Session().region_name
    if not session_region:
        raise AdminError("no AWS region: pass --region or set AWS_REGION")
    try:
        return Target(
            region=session_region,
            tenants_table=outputs["TenantsTableName"],
            user_pool_id=outputs["UserPoolId"],
            site_url=outputs.get("SiteUrl"),
        )
    except KeyError as exc:
        raise AdminError(f"the stack has no output {exc}; redeploy it with this version of infra/") from exc


def _model(target: Target) -> type[Tenant]:
    """The runtime's Tenant model, bound to this target's table and endpoint."""

    class Meta:
        table_name = target.tenants_table
        region = target.region
        host = target.endpoint_url
        billing_mode = "PAY_PER_REQUEST"

    return type("AdminTenant", (Tenant,), {"Meta": Meta})


def new_widget_key(tenant_id: str) -> str:
    return f"wk_{tenant_id}_{secrets.token_urlsafe(WIDGET_KEY_RANDOM_BYTES)}"


def embed_snippet(site_url: str | None, widget_key: str) -> str:
    src = f"{site_url}/widget.js" if site_url else "https://YOUR_HUB/widget.js"
    return f'<script src="{src}" data-widget-key="{widget_key}" async></script>'


def tenant_view(t: Tenant) -> dict[str, Any]:
    return {
        "tenant_id": t.tenant_id,
        "name": t.name,
        "widget_keys": sorted(t.widget_keys or ()),
        "callback_sla_minutes": int(t.callback_sla_minutes),
        "callback_max_attempts": int(t.callback_max_attempts),
        "callback_retry_minutes": int(t.callback_retry_minutes),
        "allowed_origins": sorted(t.allowed_origins or ()),
        "phone_region": t.phone_region,
        "mode": t.mode,
    }


class Admin:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.tenants = _model(target)

    # ------------------------------------------------------------------ tenants
    def create_tenant(
        self,
        tenant_id: str,
        name: str,
        *,
        widget_key: str | None = None,
        sla_minutes: int = 15,
        max_attempts: int = 3,
        retry_minutes: int = 10,
        allowed_origins: Sequence[str] = (),
        phone_region: str | None = None,
    ) -> dict[str, Any]:
        if not TENANT_ID.match(tenant_id):
            raise AdminError(f"tenant id {tenant_id!r}: lowercase letters, digits and '-', at most 63 characters")
        if not name.strip():
            raise AdminError("a tenant needs a name")
        key = widget_key or new_widget_key(tenant_id)
        if widget_key_tenant(key) != tenant_id:
            raise AdminError(f"widget key {key!r} must look like wk_{tenant_id}_<random>")
        for origin in allowed_origins:
            if not ORIGIN.match(origin):
                raise AdminError(f"allowed origin {origin!r}: scheme and host only, e.g. https://shop.example.com")
        if phone_region is not None and not PHONE_REGION.match(phone_region):
            raise AdminError(f"phone region {phone_region!r}: a two-letter ISO 3166 code such as SE or US")
        for label, value in (("SLA", sla_minutes), ("max attempts", max_attempts), ("retry minutes", retry_minutes)):
            if value < 1:
                raise AdminError(f"{label} must be at least 1, got {value}")
        tenant = self.tenants(
            tenant_id,
            name=name.strip(),
            widget_keys={key},
            created_at=time.time(),
            callback_sla_minutes=sla_minutes,
            callback_max_attempts=max_attempts,
            callback_retry_minutes=retry_minutes,
            allowed_origins=set(allowed_origins) or None,
            phone_region=phone_region,
        )
        try:
            tenant.save(condition=self.tenants.tenant_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise AdminError(f"tenant {tenant_id!r} already exists") from None
            raise
        return {**tenant_view(tenant), "embed_snippet": embed_snippet(self.target.site_url, key)}

    def list_tenants(self) -> list[dict[str, Any]]:
        """Every tenant, through the `all_tenants` index (no Scan), then one batch read."""
        ids = [t.tenant_id for t in self.tenants.all_tenants.query("tenants")]
        found = {t.tenant_id: t for t in self.tenants.batch_get(ids)} if ids else {}
        return [tenant_view(found[i]) for i in sorted(found)]

    def rotate_widget_key(self, tenant_id: str, *, keep_old: bool = False) -> dict[str, Any]:
        """A new widget key; the old ones stop working at once unless `keep_old` (then remove
        them with a second rotation once every site embeds the new key)."""
        key = new_widget_key(tenant_id)
        attr = self.tenants.widget_keys
        try:
            tenant = self.tenants.get(tenant_id, consistent_read=True)
        except DoesNotExist:
            raise AdminError(f"no tenant {tenant_id!r}") from None
        before = set(tenant.widget_keys or ())
        try:
            tenant.update(
                actions=[attr.add({key})] if keep_old else [attr.set({key})],
                condition=self.tenants.tenant_id.exists(),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise AdminError(f"no tenant {tenant_id!r}") from None
            raise
        return {
            "tenant_id": tenant_id,
            "widget_key": key,
            "revoked": [] if keep_old else sorted(before),
            "embed_snippet": embed_snippet(self.target.site_url, key),
        }

    # ------------------------------------------------------------------ agents
    def invite_agent(
        self, tenant_id: str, email: str, name: str, *, temporary_password: str | None = None, send_email: bool = True
    ) -> dict[str, Any]:
        if not EMAIL.match(email):
            raise AdminError(f"{email!r} is not an email address")
        try:
            self.tenants.get(tenant_id)
        except DoesNotExist:
            raise AdminError(f"no tenant {tenant_id!r}: create it first (tenant create)") from None
        idp = self.target.client("cognito-idp")
        request: dict[str, Any] = {
            "UserPoolId": self.target.user_pool_id,
            "Username": email,
            "UserAttributes": [
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
                {"Name": TENANT_CLAIM, "Value": tenant_id},
            ],
        }
        if not send_email:
            # Nobody is emailed: the administrator hands over this password.
            temporary_password = temporary_password or _temporary_password()
            request["MessageAction"] = "SUPPRESS"
        else:
            request["DesiredDeliveryMediums"] = ["EMAIL"]
        if temporary_password:
            request["TemporaryPassword"] = temporary_password
        try:
            user = idp.admin_create_user(**request)["User"]
        except idp.exceptions.UsernameExistsException:
            raise AdminError(f"{email} already has an account") from None
        attrs = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        out = {"username": user["Username"], "sub": attrs.get("sub"), "tenant": tenant_id, "status": user["UserStatus"]}
        if not send_email:
            out["temporary_password"] = temporary_password
        return out

    def disable_agent(self, email: str) -> dict[str, Any]:
        """Blocks sign-in and revokes refresh tokens; an ID token already issued stays valid
        until it expires (at most an hour), as Cognito tokens do."""
        idp = self.target.client("cognito-idp")
        try:
            idp.admin_disable_user(UserPoolId=self.target.user_pool_id, Username=email)
        except idp.exceptions.UserNotFoundException:
            raise AdminError(f"no agent {email}") from None
        idp.admin_user_global_sign_out(UserPoolId=self.target.user_pool_id, Username=email)
        return {"username": email, "enabled": False}


def _temporary_password() -> str:
    # Meets the pool's policy: upper, lower, digit and symbol, 16+ characters.
    return f"Tmp-{secrets.token_urlsafe(12)}9a!"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__.splitlines()[0])
    where = p.add_argument_group("where (a deployed --stage, or explicit endpoints for the local stack)")
    where.add_argument("--stage", help="deployed stage (dev, prod): names come from its stack outputs")
    where.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    where.add_argument("--endpoint-url", help="one endpoint for DynamoDB and Cognito (the local stack's moto)")
    where.add_argument("--tenants-table", help="tenants table name (with --endpoint-url)")
    where.add_argument("--user-pool-id", help="Cognito user pool id (with --endpoint-url)")
    where.add_argument("--site-url", help="where widget.js is served (for the embed snippet)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub = p.add_subparsers(dest="what", required=True)

    tenant = sub.add_parser("tenant", help="create, list tenants; rotate a widget key").add_subparsers(
        dest="command", required=True
    )
    create = tenant.add_parser("create", help="a new tenant with its first widget key")
    create.add_argument("tenant_id")
    create.add_argument("--name", required=True)
    create.add_argument("--widget-key", help="default: a new random key wk_<tenant>_<random>")
    create.add_argument("--sla-minutes", type=int, default=15, help="a callback is due this long after the request")
    create.add_argument("--max-attempts", type=int, default=3, help="call attempts before a callback fails")
    create.add_argument("--retry-minutes", type=int, default=10, help="wait between attempts")
    create.add_argument("--origin", action="append", default=[], help="a site the widget runs on (repeatable)")
    create.add_argument("--phone-region", help="default region of callback numbers, e.g. SE")
    tenant.add_parser("list", help="every tenant")
    rotate = tenant.add_parser("rotate-key", help="a new widget key for a tenant")
    rotate.add_argument("tenant_id")
    rotate.add_argument("--keep-old", action="store_true", help="keep the old keys working (rotate again to drop them)")

    agent = sub.add_parser("agent", help="invite or disable an agent").add_subparsers(dest="command", required=True)
    invite = agent.add_parser("invite", help="a Cognito user of the tenant; Cognito emails a temporary password")
    invite.add_argument("tenant_id")
    invite.add_argument("email")
    invite.add_argument("--name", required=True)
    invite.add_argument("--no-email", action="store_true", help="do not email; print a temporary password instead")
    invite.add_argument("--temporary-password")
    disable = agent.add_parser("disable", help="block sign-in and revoke the agent's sessions")
    disable.add_argument("email")
    return p.parse_args(argv)


def target_from_args(args: argparse.Namespace) -> Target:
    if args.stage:
        return target_for_stage(args.stage, args.region)
    missing = [
        flag for flag, v in (("--tenants-table", args.tenants_table), ("--user-pool-id", args.user_pool_id)) if not v
    ]
    if missing:
        raise AdminError(f"say where the hub is: --stage STAGE, or {' and '.join(missing)} (with --endpoint-url)")
    return Target(
        region=args.region or boto3.session.Session().region_name or "us-east-1",
        tenants_table=args.tenants_table,
        user_pool_id=args.user_pool_id,
        endpoint_url=args.endpoint_url,
        site_url=args.site_url,
    )


def run(args: argparse.Namespace) -> Any:
    admin = Admin(target_from_args(args))
    if args.what == "tenant" and args.command == "create":
        return admin.create_tenant(
            args.tenant_id,
            args.name,
            widget_key=args.widget_key,
            sla_minutes=args.sla_minutes,
            max_attempts=args.max_attempts,
            retry_minutes=args.retry_minutes,
            allowed_origins=args.origin,
            phone_region=args.phone_region,
        )
    if args.what == "tenant" and args.command == "list":
        return admin.list_tenants()
    if args.what == "tenant" and args.command == "rotate-key":
        return admin.rotate_widget_key(args.tenant_id, keep_old=args.keep_old)
    if args.what == "agent" and args.command == "invite":
        return admin.invite_agent(
            args.tenant_id,
            args.email,
            args.name,
            temporary_password=args.temporary_password,
            send_email=not args.no_email,
        )
    return admin.disable_agent(args.email)


def _text(result: Any) -> str:
    rows = result if isinstance(result, list) else [result]
    return "\n\n".join("\n".join(f"{k}: {v}" for k, v in row.items()) for row in rows) or "(none)"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except AdminError as exc:
        print(f"admin: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else _text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
