"""A local stack of its own whose DynamoDB is reached through `local.ddb_faults`' proxy (which
counts every call and can inject faults), for the e2e modules that count or break the hub's calls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from local.bootstrap import DUMMY_CREDENTIALS
from local.ddb_faults import FaultProxy
from local.moto_server import MotoProcess
from local.testing import HubProcess, LocalHub


@contextlib.contextmanager
def hub_behind_proxy(data: Path) -> Iterator[tuple[LocalHub, FaultProxy, Any]]:
    """The hub, the proxy in front of its DynamoDB, and a client that reads moto directly."""
    moto = MotoProcess(log_path=data / "ddb-moto.log")
    proxy = FaultProxy(moto.start(), data)
    process = HubProcess(data, extra_args=["--no-schedules", "--dynamodb-endpoint", proxy.start()])
    try:
        hub = process.start(timeout=90)
        client = boto3.client(
            "dynamodb",
            endpoint_url=moto.url,
            region_name="us-east-1",
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        yield hub, proxy, client
    finally:
        process.stop()
        proxy.stop()
        moto.stop()
