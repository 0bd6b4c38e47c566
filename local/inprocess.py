"""The whole hub on moto in-process, for tests and benchmarks (never packaged).

One builder, so the tests and the benchmarks drive the hub wired the same way: a Cognito
user pool in moto (ID tokens are real RS256 tokens, verified against moto's public JWKS),
the given sender and clock, and a fixed widget signing key.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import boto3
import jwt

from chalicelib.platform.auth import AgentVerifier, WidgetTokens
from chalicelib.platform.clock import Clock
from chalicelib.platform.config import Settings
from chalicelib.platform.limits import LimitSettings
from chalicelib.platform.sender import Sender
from chalicelib.wiring import Hub, Stores
from chalicelib.wiring import build as build_hub

REGION = "us-east-1"


def moto_jwks_keys() -> Callable[[str], Any]:
    """moto signs Cognito tokens with a fixed key pair; verify against its public JWKS."""
    path = resources.files("moto.cognitoidp").joinpath("resources/jwks-public.json.gz")
    keyset = jwt.PyJWKSet.from_dict(json.loads(gzip.decompress(path.read_bytes())))
    return lambda token: keyset[jwt.get_unverified_header(token)["kid"]].key


@dataclass
class InProcessHub:
    hub: Hub
    cognito: Any
    pool_id: str
    client_id: str


def build(
    sender: Sender,
    clock: Clock,
    stage: str,
    signing_key: str,
    stores: Stores | None = None,
    limits: LimitSettings | None = None,
    counters_stream: bool = False,
) -> InProcessHub:
    """A user pool with a `tenant` attribute and a web client, and the hub (`chalicelib.wiring.build`)
    verifying its tokens. Call inside `moto.mock_aws()` (with the tables created unless `stores`
    are in-memory ones). `counters_stream`: the counters are pushed from the counters table's
    stream, as deployed; deliver it with `local.streams.InProcessStream`."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(
        PoolName=stage, Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}]
    )["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        ReadAttributes=["name", "email", "custom:tenant"],
    )["UserPoolClient"]["ClientId"]
    settings = Settings(
        region=REGION,
        stage=stage,
        user_pool_id=pool,
        app_client_id=client,
        jwks_url="unused",
        widget_secret_id="unused",  # noqa: S106 - the signing key is handed in below
        ws_management_endpoint=None,
    )
    hub = build_hub(
        settings,
        clock,
        sender,
        AgentVerifier(settings, clock, moto_jwks_keys()),
        WidgetTokens(settings, clock, key=signing_key),
        stores or Stores.dynamo(REGION),
        limits,
        counters_stream=counters_stream,
    )
    return InProcessHub(hub, cognito, pool, client)
