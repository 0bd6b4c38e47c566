"""Pushes events to WebSocket connections through the API Gateway management API.

The management endpoint comes from configuration only (`WS_MANAGEMENT_ENDPOINT`, set by the
stack and by the local stack); it is never guessed from an incoming event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import msgspec
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.contract.events import Event
from chalicelib.platform.config import ConfigError
from chalicelib.platform.observability import logger

# Fan-outs larger than this are posted from a bounded pool instead of one by one. A post waits
# 10-20 ms on API Gateway and little on the CPU; 64 posts in flight keep a tenant-wide fan-out to
# 1,000 agent connections at ~0.3 s (`bench/fanout.py`; 32 took ~0.55 s). The HTTP connection
# pool is as large, so no thread waits for a connection. Posts count against the account's API
# Gateway throttle (10,000 a second, bursts of 5,000, shared by every API of the account and
# Region): one such fan-out is ~3,000 posts a second at most; a throttled post
# (LimitExceededException) is retried once by botocore's standard retry mode, then counted failed.
_PARALLEL_FROM = 4
_POOL_SIZE = 64


def encode(event: Event) -> bytes:
    """Only contract events go out (`chalicelib/contract/events.py`)."""
    return msgspec.json.encode(event)


class Sender:
    """Posts to connections; reports which targets are gone (HTTP 410)."""

    def __init__(self, endpoint_url: str | None, region: str) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None
        # boto3's default session is not thread-safe; fan-out threads share one client.
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
        return self._client

    def _require_endpoint(self) -> str:
        if not self._endpoint_url:
            raise ConfigError(
                "WS_MANAGEMENT_ENDPOINT is not set: the hub cannot post to WebSocket connections without "
                "the API Gateway management endpoint (https://<api-id>.execute-api.<region>.amazonaws.com/<stage>)"
            )
        return self._endpoint_url

    def _new_client(self) -> Any:
        return boto3.session.Session().client(
            "apigatewaymanagementapi",
            endpoint_url=self._require_endpoint(),
            region_name=self._region,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=2,
                read_timeout=5,
                max_pool_connections=_POOL_SIZE,
            ),
        )

    def post(self, connection_id: str, event: Event) -> bool:
        """True when API Gateway accepted the event; False when the target is gone."""
        self._require_endpoint()
        return self._post_bytes(connection_id, encode(event))

    def _post_bytes(self, connection_id: str, data: bytes) -> bool:
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "GoneException":
                return False
            raise
        return True

    def post_many(self, connection_ids: Iterable[str], event: Event) -> tuple[list[str], list[str]]:
        """Posts one event to many targets; returns (gone, failed). A failure on one target
        never stops the others: it is logged, counted and that target is skipped."""
        targets = list(dict.fromkeys(connection_ids))
        if not targets:
            return [], []
        self._require_endpoint()  # a missing endpoint is a configuration error, not a failed target
        data = encode(event)
        return self._post_all([(t, data) for t in targets])

    def post_each(self, posts: Iterable[tuple[str, Event]]) -> tuple[list[str], list[str]]:
        """Posts each its own event (a waiting customer's own place in the queue), all in flight
        at once as `post_many` does; returns (gone, failed) the same way. A target named twice
        (a customer waiting in two chats) gets both events, in no set order."""
        encoded = [(t, encode(e)) for t, e in posts]
        if not encoded:
            return [], []
        self._require_endpoint()
        return self._post_all(encoded)

    def _post_all(self, posts: list[tuple[str, bytes]]) -> tuple[list[str], list[str]]:
        if len(posts) < _PARALLEL_FROM:
            results = [self._safe_post(t, data) for t, data in posts]
        else:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=_POOL_SIZE, thread_name_prefix="fanout")
            results = list(self._pool.map(lambda post: self._safe_post(*post), posts))
        gone = [t for (t, _), ok in zip(posts, results, strict=True) if ok is False]
        failed = [t for (t, _), ok in zip(posts, results, strict=True) if ok is None]
        return gone, failed

    def _safe_post(self, connection_id: str, data: bytes) -> bool | None:
        try:
            return self._post_bytes(connection_id, data)
        except Exception:
            logger.exception("post_to_connection failed", extra={"target": connection_id})
            return None
